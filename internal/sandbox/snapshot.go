package sandbox

import (
	"sort"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/live"
)

// FromSnapshot converts a snapshot of a live workspace into a state file
// (export --format sandbox), so that a rehearsal runs against a copy of the
// real workspace. It carries no credentials: the sandbox generates a key
// when it loads the state.
func FromSnapshot(snap *live.Snapshot) *State {
	st := &State{}
	for _, s := range snap.Systems {
		if st.WorkspaceID == "" {
			st.WorkspaceID = s.WorkspaceID
		}
		st.AcsSystems = append(st.AcsSystems, AcsSystem{AcsSystemID: s.ID, Name: s.Name, ConnectedAccountID: s.ConnectedAccountID, CreatedAt: parseTime(s.CreatedAt)})
	}
	for _, g := range snap.Groups {
		st.AcsAccessGroups = append(st.AcsAccessGroups, AcsAccessGroup{AcsAccessGroupID: g.ID, AcsSystemID: g.SystemID, Name: g.Name, IsManaged: g.IsManaged, CreatedAt: parseTime(g.CreatedAt)})
	}
	for _, u := range snap.Users {
		st.AcsUsers = append(st.AcsUsers, AcsUser{AcsUserID: u.ID, AcsSystemID: u.SystemID, FullName: u.FullName, EmailAddress: u.EmailAddr(), PhoneNumber: u.PhoneNumber, UserIdentityID: u.UserIdentityID, IsSuspended: u.IsSuspended, CreatedAt: parseTime(u.CreatedAt)})
	}
	for _, i := range snap.Identities {
		st.UserIdentities = append(st.UserIdentities, UserIdentity{UserIdentityID: i.ID, UserIdentityKey: i.Key, FullName: i.FullName, EmailAddress: i.EmailAddress, PhoneNumber: i.PhoneNumber, CreatedAt: parseTime(i.CreatedAt)})
	}
	gids := make([]string, 0, len(snap.Members))
	for id := range snap.Members {
		gids = append(gids, id)
	}
	sort.Strings(gids)
	for _, gid := range gids {
		for _, uid := range snap.Members[gid] {
			st.Memberships = append(st.Memberships, Membership{AcsAccessGroupID: gid, AcsUserID: uid})
		}
	}
	return st
}

// parseTime reads a time Seam sent; the zero time when it has none.
func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
