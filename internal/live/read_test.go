package live_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
	"github.com/acs-bulk/acs-bulk/internal/sandbox/sandboxtest"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// serve starts the sandbox over st and returns a contract-checked client.
func serve(t testing.TB, st *sandbox.State) (*sandbox.Server, *seam.Client) {
	return sandboxtest.Serve(t, st, sandbox.Options{}, true)
}

// want is a live.Want that asks for fixed ids.
type want struct {
	systems    []string
	groups     []string
	identities bool
	// sawUsers is how many users Identities was shown.
	sawUsers int
}

func (w *want) Systems([]seam.System) ([]string, error)           { return w.systems, nil }
func (w *want) Groups([]seam.System, []seam.AccessGroup) []string { return w.groups }
func (w *want) Identities(snap *live.Snapshot) bool {
	w.sawUsers = len(snap.Users)
	return w.identities
}

func TestReadReadsWhatItIsTold(t *testing.T) {
	cases := []struct {
		name string
		want want
		// routes is the number of requests per route.
		routes  map[string]int
		members []string // groups whose members were read
		idents  int
	}{
		{
			name: "one system, two groups",
			want: want{systems: []string{"sys0"}, groups: []string{"sys0_g1", "sys0_g2"}},
			routes: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 1, "/acs/access_groups/unmanaged/list": 1,
				"/acs/users/list": 1, "/acs/access_groups/list_users": 2,
			},
			members: []string{"sys0_g1", "sys0_g2"},
		},
		{
			name: "two systems and the identities",
			want: want{systems: []string{"sys0", "sys1"}, groups: []string{"sys1_g0"}, identities: true},
			routes: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 2, "/acs/access_groups/unmanaged/list": 2,
				"/acs/users/list": 2, "/acs/access_groups/list_users": 1, "/user_identities/list": 1,
			},
			members: []string{"sys1_g0"},
		},
		{
			name:   "no system: only the list of systems",
			want:   want{},
			routes: map[string]int{"/acs/systems/list": 1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, client := serve(t, sandbox.Grid(2, 3, 10))
			w := c.want
			snap, err := live.Read(context.Background(), client, &w, 4)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.routes, srv.Stats().ByRoute); d != "" {
				t.Errorf("requests by route (-want +got):\n%s", d)
			}
			var got []string
			for g := range snap.Members {
				got = append(got, g)
			}
			if d := cmp.Diff(c.members, got, cmpSorted); d != "" {
				t.Errorf("groups whose members were read (-want +got):\n%s", d)
			}
			if wantUsers := 10 * len(c.want.systems); w.sawUsers != wantUsers {
				t.Errorf("Identities saw %d users, want every user read (%d)", w.sawUsers, wantUsers)
			}
			if len(snap.Systems) != 2 {
				t.Errorf("%d systems in the snapshot, want every system of the workspace", len(snap.Systems))
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
	_, client := serve(t, sandbox.Grid(1, 2, 4))
	snap, err := live.Read(context.Background(), client, &want{systems: []string{"sys0"}, groups: []string{"sys0_g1"}}, 0)
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
	again, err := live.Read(context.Background(), client, &want{systems: []string{"sys0"}, groups: []string{"sys0_g1"}}, 0)
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

// BenchmarkReadWorkspace reads a workspace of 50 groups and 20,000 users
// through the sandbox on loopback (scope systems: every group's members) and
// reports the requests it took; the routes make 1 + 1 + 1 + 40 + 50 = 93
// necessary.
func BenchmarkReadWorkspace(b *testing.B) {
	srv, client := sandboxtest.Serve(b, sandbox.Grid(1, 50, 20000), sandbox.Options{}, false)
	var groups []string
	for g := range 50 {
		groups = append(groups, fmt.Sprintf("sys0_g%d", g))
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := live.Read(context.Background(), client, &want{systems: []string{"sys0"}, groups: groups}, 0); err != nil {
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
	srv, client := serve(t, sandbox.Grid(1, 3, 9))
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

// scaleState is the plan-at-scale workspace of ../shared/bench/perfgen.py
// in shape: one system, 50 groups, n/10 users, n memberships, each group a
// window of consecutive users, so that every user is in about 10 groups.
func scaleState(n int) *sandbox.State {
	const groups = 50
	users, per := n/10, n/groups
	st := &sandbox.State{WorkspaceID: "ws1", APIKeys: []string{"seam_test_key"},
		AcsSystems: []sandbox.AcsSystem{{AcsSystemID: "sys0", Name: "Harbor Tower"}}}
	for u := range users {
		st.AcsUsers = append(st.AcsUsers, sandbox.AcsUser{AcsUserID: fmt.Sprintf("u%07d", u), AcsSystemID: "sys0",
			FullName: fmt.Sprintf("User %d", u), EmailAddress: fmt.Sprintf("user%d@harbortower.example", u)})
	}
	for g := range groups {
		gid := fmt.Sprintf("g%02d", g)
		st.AcsAccessGroups = append(st.AcsAccessGroups, sandbox.AcsAccessGroup{AcsAccessGroupID: gid, AcsSystemID: "sys0", Name: fmt.Sprintf("Group %d", g)})
		for i := range per {
			st.Memberships = append(st.Memberships, sandbox.Membership{AcsAccessGroupID: gid, AcsUserID: fmt.Sprintf("u%07d", (g*users/groups+i)%users)})
		}
	}
	return st
}

// BenchmarkReadScale reads the whole plan-at-scale workspace (every group's
// members, every user) through the sandbox on loopback, at 200,000 and
// 1,000,000 memberships, and reports the requests it took: 1 (systems) +
// 2 (groups) + users/500 (pages) + 50 (members), the minimum the routes
// allow. bench/planscale.sh measures the wall time and peak RSS of a whole
// plan against the same workspace served by another process, beside a
// minimal client.
func BenchmarkReadScale(b *testing.B) {
	for _, n := range []int{200_000, 1_000_000} {
		b.Run(fmt.Sprintf("%d memberships", n), func(b *testing.B) {
			srv, client := sandboxtest.Serve(b, scaleState(n), sandbox.Options{}, false)
			var groups []string
			for g := range 50 {
				groups = append(groups, fmt.Sprintf("g%02d", g))
			}
			w := &want{systems: []string{"sys0"}, groups: groups}
			before := srv.Stats().Requests
			b.ResetTimer()
			for b.Loop() {
				snap, err := live.Read(context.Background(), client, w, 0)
				if err != nil {
					b.Fatal(err)
				}
				if m := len(snap.Members["g00"]); m != n/50 {
					b.Fatalf("%d members in g00, want %d", m, n/50)
				}
			}
			b.ReportMetric(float64(srv.Stats().Requests-before)/float64(b.N), "requests/op")
		})
	}
}
