package sandbox

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// TestFromSnapshotServesTheSameWorkspace: a snapshot made into a state file
// serves the memberships, users and identities it had, and no credential.
func TestFromSnapshotServesTheSameWorkspace(t *testing.T) {
	f := false
	snap := &live.Snapshot{
		Systems:    []seam.System{{ID: "sys1", Name: "Harbor Tower", WorkspaceID: "ws1", CreatedAt: "2025-01-06T09:00:00Z"}},
		Groups:     []seam.AccessGroup{{ID: "g1", SystemID: "sys1", Name: "Lobby"}, {ID: "g2", SystemID: "sys1", Name: "Legacy", IsManaged: &f}},
		Users:      []seam.User{{ID: "u1", SystemID: "sys1", FullName: "Ann Lee", EmailAddress: "ann@x.com"}, {ID: "u2", SystemID: "sys1", FullName: "Bob Ray", Email: "bob@x.com"}},
		Identities: []seam.UserIdentity{{ID: "ui1", EmailAddress: "gus@x.com", FullName: "Gus Day"}},
		Members:    map[string][]string{"g1": {"u1", "u2"}},
	}
	st := FromSnapshot(snap)
	if st.WorkspaceID != "ws1" || len(st.APIKeys) != 0 {
		t.Errorf("workspace %q, keys %v", st.WorkspaceID, st.APIKeys)
	}
	srv := New(st, Options{})
	var got []string
	for _, m := range srv.Memberships() {
		got = append(got, m.AcsAccessGroupID+" "+m.AcsUserID)
	}
	if diff := cmp.Diff([]string{"g1 u1", "g1 u2"}, got); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}
	served := srv.State()
	if len(served.AcsUsers) != 2 || served.AcsUsers[1].EmailAddress != "bob@x.com" || len(served.UserIdentities) != 1 ||
		served.AcsAccessGroups[1].IsManaged == nil || *served.AcsAccessGroups[1].IsManaged {
		t.Errorf("state %+v", served)
	}
}
