package plan

import (
	"cmp"
	"slices"
	"strings"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// Export returns the memberships of snap's managed groups whose members were read,
// as desired rows that [Compute] plans no change for (the round trip of
// acs-bulk export): every identifier of each person, sorted by system name,
// group name and member email.
func Export(snap *live.Snapshot) []desired.Row {
	sysName := map[string]string{}
	for _, s := range snap.Systems {
		sysName[s.ID] = s.Name
	}
	users := make(map[string]*seam.User, len(snap.Users))
	for i := range snap.Users {
		users[snap.Users[i].ID] = &snap.Users[i]
	}
	var groups []*seam.AccessGroup
	for i := range snap.Groups {
		if _, read := snap.Members[snap.Groups[i].ID]; read && snap.Groups[i].Managed() {
			groups = append(groups, &snap.Groups[i])
		}
	}
	slices.SortFunc(groups, func(a, b *seam.AccessGroup) int {
		return cmp.Or(strings.Compare(sysName[a.SystemID], sysName[b.SystemID]), strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	var rows []desired.Row
	for _, g := range groups {
		members := make([]seam.User, 0, len(snap.Members[g.ID]))
		for _, id := range snap.Members[g.ID] {
			if u, ok := users[id]; ok {
				members = append(members, *u)
			} else {
				members = append(members, seam.User{ID: id})
			}
		}
		slices.SortFunc(members, func(a, b seam.User) int {
			return cmp.Or(strings.Compare(strings.ToLower(exportEmail(a)), strings.ToLower(exportEmail(b))), strings.Compare(a.ID, b.ID))
		})
		for _, u := range members {
			rows = append(rows, desired.Row{
				SystemID: g.SystemID, SystemName: sysName[g.SystemID], GroupID: g.ID, GroupName: g.Name,
				AcsUserID: u.ID, UserIdentityID: u.UserIdentityID, Email: exportEmail(u),
				Phone: cmp.Or(u.PhoneNumber, u.UserIdentityPhoneNumber), FullName: u.Name(),
			})
		}
	}
	return rows
}

// exportEmail is the email an export writes for a user: its own, else its
// identity's.
func exportEmail(u seam.User) string { return cmp.Or(u.EmailAddr(), u.UserIdentityEmailAddress) }
