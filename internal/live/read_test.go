package live_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acs-bulk/acs-bulk/internal/contract"
	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// workspace builds a sandbox state with the given systems, each with groups
// groups and users users; user i of a system is in group i%groups.
// One extra unmanaged group per system holds user 0.
func workspace(systems, groups, users int) *sandbox.State {
	st := &sandbox.State{WorkspaceID: "ws1", APIKeys: []string{"seam_test_key"}}
	f := false
	for s := range systems {
		sid := fmt.Sprintf("sys%d", s)
		st.AcsSystems = append(st.AcsSystems, sandbox.AcsSystem{AcsSystemID: sid, Name: fmt.Sprintf("Site %d", s)})
		for g := range groups {
			st.AcsAccessGroups = append(st.AcsAccessGroups, sandbox.AcsAccessGroup{AcsAccessGroupID: fmt.Sprintf("%s_g%d", sid, g), AcsSystemID: sid, Name: fmt.Sprintf("Group %d", g)})
		}
		st.AcsAccessGroups = append(st.AcsAccessGroups, sandbox.AcsAccessGroup{AcsAccessGroupID: sid + "_legacy", AcsSystemID: sid, Name: "Legacy", IsManaged: &f})
		for u := range users {
			uid := fmt.Sprintf("%s_u%d", sid, u)
			st.AcsUsers = append(st.AcsUsers, sandbox.AcsUser{AcsUserID: uid, AcsSystemID: sid, FullName: fmt.Sprintf("User %d", u), EmailAddress: fmt.Sprintf("user%d@site%d.example", u, s)})
			st.Memberships = append(st.Memberships, sandbox.Membership{AcsAccessGroupID: fmt.Sprintf("%s_g%d", sid, u%groups), AcsUserID: uid})
		}
		st.Memberships = append(st.Memberships, sandbox.Membership{AcsAccessGroupID: sid + "_legacy", AcsUserID: sid + "_u0"})
	}
	return st
}

// serve starts the sandbox over st and returns a contract-checked client.
func serve(t testing.TB, st *sandbox.State) (*sandbox.Server, *seam.Client) {
	return serveWith(t, st, true)
}

// serveWith is serve with the contract check optional (benchmarks measure
// the client and server, not the checker).
func serveWith(t testing.TB, st *sandbox.State, checked bool) (*sandbox.Server, *seam.Client) {
	t.Helper()
	srv := sandbox.New(st, sandbox.Options{})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	hc := hs.Client()
	if checked {
		spec, err := contract.Load()
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		hc.Transport = spec.Transport(hc.Transport, func(err error) {
			mu.Lock()
			defer mu.Unlock()
			t.Errorf("contract: %v", err)
		})
	}
	c, err := seam.New(seam.Options{APIKey: srv.APIKeys()[0], Endpoint: hs.URL, HTTPClient: hc, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestReadReadsOnlyWhatThePlanNeeds(t *testing.T) {
	cases := []struct {
		name string
		rows []desired.Row
		req  live.Request
		// want is the number of requests per route.
		want    map[string]int
		members []string // groups whose members were read
		idents  int
	}{
		{
			name: "rows naming two groups of one system read those two groups' members",
			rows: []desired.Row{
				{Line: 2, SystemName: "Site 0", GroupName: "Group 1", Email: "user1@site0.example"},
				{Line: 3, SystemID: "sys0", GroupID: "sys0_g2", AcsUserID: "sys0_u2"},
			},
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 1, "/acs/access_groups/unmanaged/list": 1,
				"/acs/users/list": 1, "/acs/access_groups/list_users": 2,
			},
			members: []string{"sys0_g1", "sys0_g2"},
		},
		{
			name: "scope systems reads every managed group of the system",
			rows: []desired.Row{{Line: 2, SystemID: "sys1", GroupName: "Group 0", Email: "user0@site1.example"}},
			req:  live.Request{AllGroups: true},
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 1, "/acs/access_groups/unmanaged/list": 1,
				"/acs/users/list": 1, "/acs/access_groups/list_users": 3,
			},
			members: []string{"sys1_g0", "sys1_g1", "sys1_g2"},
		},
		{
			name: "an email with no ACS user makes it read the user identities",
			rows: []desired.Row{{Line: 2, SystemID: "sys0", GroupName: "Group 0", Email: "newcomer@site0.example"}},
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 1, "/acs/access_groups/unmanaged/list": 1,
				"/acs/users/list": 1, "/acs/access_groups/list_users": 1, "/user_identities/list": 1,
			},
			members: []string{"sys0_g0"},
		},
		{
			name: "an email known in one system but not in the row's system reads the identities",
			rows: []desired.Row{
				{Line: 2, SystemID: "sys0", GroupName: "Group 0", Email: "user1@site0.example"},
				{Line: 3, SystemID: "sys1", GroupName: "Group 0", Email: "user1@site0.example"},
			},
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 2, "/acs/access_groups/unmanaged/list": 2,
				"/acs/users/list": 2, "/acs/access_groups/list_users": 2, "/user_identities/list": 1,
			},
			members: []string{"sys0_g0", "sys1_g0"},
		},
		{
			name: "a group id without a system reads the groups of every system",
			rows: []desired.Row{{Line: 2, GroupID: "sys1_g1", AcsUserID: "sys1_u1"}},
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 2, "/acs/access_groups/unmanaged/list": 2,
				"/acs/users/list": 2, "/acs/access_groups/list_users": 1,
			},
			members: []string{"sys1_g1"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, client := serve(t, workspace(2, 3, 10))
			req := c.req
			req.Rows = c.rows
			snap, err := live.Read(context.Background(), client, req)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, srv.Stats().ByRoute); d != "" {
				t.Errorf("requests by route (-want +got):\n%s", d)
			}
			var got []string
			for g := range snap.Members {
				got = append(got, g)
			}
			if d := cmp.Diff(c.members, got, cmpSorted); d != "" {
				t.Errorf("groups whose members were read (-want +got):\n%s", d)
			}
		})
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestReadSnapshotContents(t *testing.T) {
	_, client := serve(t, workspace(1, 2, 4))
	snap, err := live.Read(context.Background(), client, live.Request{
		Rows: []desired.Row{{Line: 2, GroupName: "Group 1", Email: "user1@site0.example"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string][]string{"sys0_g1": {"sys0_u1", "sys0_u3"}}, snap.Members); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	var groups []string
	for _, g := range snap.Groups {
		groups = append(groups, fmt.Sprintf("%s managed=%t", g.ID, g.Managed()))
	}
	if d := cmp.Diff([]string{"sys0_g0 managed=true", "sys0_g1 managed=true", "sys0_legacy managed=false"}, groups); d != "" {
		t.Errorf("groups (-want +got):\n%s", d)
	}
	if len(snap.Users) != 4 || snap.Users[0].EmailAddr() != "user0@site0.example" {
		t.Errorf("users: got %d, first %+v", len(snap.Users), snap.Users[0])
	}
	// The fingerprint is stable across reads of an unchanged workspace.
	again, err := live.Read(context.Background(), client, live.Request{
		Rows: []desired.Row{{Line: 2, GroupName: "Group 1", Email: "user1@site0.example"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Fingerprint() != again.Fingerprint() {
		t.Errorf("fingerprint changed between two reads of the same state")
	}
}

func TestFingerprintChangesWithMembership(t *testing.T) {
	a := &live.Snapshot{Members: map[string][]string{"g1": {"u1", "u2"}}}
	b := &live.Snapshot{Members: map[string][]string{"g1": {"u1"}}}
	c := &live.Snapshot{Members: map[string][]string{"g1": {"u1"}, "g2": {"u2"}}}
	if a.Fingerprint() == b.Fingerprint() || b.Fingerprint() == c.Fingerprint() {
		t.Errorf("fingerprints collide: %s %s %s", a.Fingerprint(), b.Fingerprint(), c.Fingerprint())
	}
}

func TestFindSystem(t *testing.T) {
	all := []seam.System{{ID: "s1", Name: "Harbor Tower"}, {ID: "s2", Name: "Riverside"}, {ID: "s3", Name: "Riverside"}}
	if s, err := live.FindSystem(all, "harbor tower"); err != nil || s.ID != "s1" {
		t.Errorf("by name: %v, %v", s, err)
	}
	if s, err := live.FindSystem(all, "s3"); err != nil || s.ID != "s3" {
		t.Errorf("by id: %v, %v", s, err)
	}
	if _, err := live.FindSystem(all, "Riverside"); err == nil || err.Error() != `--system "Riverside" is ambiguous: systems s2 and s3 share that name; give the acs_system_id` {
		t.Errorf("ambiguous: %v", err)
	}
	if _, err := live.FindSystem(all, "Nowhere"); err == nil || err.Error() != `--system "Nowhere" names no access system (the workspace has "Harbor Tower", "Riverside", "Riverside")` {
		t.Errorf("unknown: %v", err)
	}
}

// BenchmarkReadWorkspace reads a workspace of 50 groups and 20,000 users
// through the sandbox on loopback (scope systems: every group's members) and
// reports the requests it took; the routes make 1 + 1 + 1 + 40 + 50 = 93
// necessary.
func BenchmarkReadWorkspace(b *testing.B) {
	srv, client := serveWith(b, workspace(1, 50, 20000), false)
	rows := []desired.Row{{Line: 2, SystemID: "sys0", GroupName: "Group 0", Email: "user0@site0.example"}}
	b.ResetTimer()
	for b.Loop() {
		if _, err := live.Read(context.Background(), client, live.Request{Rows: rows, AllGroups: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(srv.Stats().Requests)/float64(b.N), "requests/op")
}

func TestDiffMembers(t *testing.T) {
	before := map[string][]string{"g1": {"a", "b"}, "g2": {"c"}, "g3": {}}
	after := map[string][]string{"g1": {"b", "d"}, "g2": {"c"}, "g4": {"x"}}
	want := []live.MemberChange{
		{GroupID: "g1", AcsUserID: "a"},
		{GroupID: "g1", AcsUserID: "d", Added: true},
	}
	if d := cmp.Diff(want, live.DiffMembers(before, after)); d != "" {
		t.Errorf("diff (-want +got):\n%s", d)
	}
}

func TestReadMembers(t *testing.T) {
	srv, client := serve(t, workspace(1, 3, 9))
	m, err := live.ReadMembers(context.Background(), client, []string{"sys0_g0", "sys0_g2"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string][]string{"sys0_g0": {"sys0_u0", "sys0_u3", "sys0_u6"}, "sys0_g2": {"sys0_u2", "sys0_u5", "sys0_u8"}}, m.IDs()); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	if !m.Has("sys0_g0", "sys0_u3") || m.Has("sys0_g0", "sys0_u1") {
		t.Errorf("Has is wrong")
	}
	if got := srv.Stats().ByRoute["/acs/access_groups/list_users"]; got != 2 {
		t.Errorf("list_users requests = %d, want 2", got)
	}
}
