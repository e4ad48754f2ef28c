package plan_test

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
	"github.com/acs-bulk/acs-bulk/internal/sandbox/sandboxtest"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// serve starts the sandbox over st and returns a contract-checked client.
func serve(t *testing.T, st *sandbox.State) (*sandbox.Server, *seam.Client) {
	return sandboxtest.Serve(t, st, sandbox.Options{}, true)
}

// TestReadsReadOnlyWhatThePlanNeeds: the resolver picks the systems, the
// groups and the identities a plan needs, and live reads just those.
func TestReadsReadOnlyWhatThePlanNeeds(t *testing.T) {
	cases := []struct {
		name string
		rows []desired.Row
		opts plan.Options
		all  *plan.Reads // instead of rows and opts
		// rules are the access rules the rows came from.
		rules []plan.Rule
		// want is the number of requests per route.
		want    map[string]int
		members []string // groups whose members were read
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
			opts: plan.Options{Scope: plan.ScopeSystems},
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
		{
			name: "a system name in another case is the system, read once",
			rows: []desired.Row{{Line: 2, SystemName: "SITE 1", GroupName: "Group 2", Email: "user2@site1.example"}},
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 1, "/acs/access_groups/unmanaged/list": 1,
				"/acs/users/list": 1, "/acs/access_groups/list_users": 1,
			},
			members: []string{"sys1_g2"},
		},
		{
			name: "--system in another case picks the system, and rows without one are placed there",
			rows: []desired.Row{{Line: 2, GroupName: "Group 2", Email: "user2@site1.example"}},
			opts: plan.Options{Systems: []string{"site 1"}},
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 1, "/acs/access_groups/unmanaged/list": 1,
				"/acs/users/list": 1, "/acs/access_groups/list_users": 1,
			},
			members: []string{"sys1_g2"},
		},
		{
			name: "a row whose group does not resolve costs no members request",
			rows: []desired.Row{{Line: 2, SystemID: "sys0", GroupName: "Group 9", Email: "user1@site0.example"}},
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 1, "/acs/access_groups/unmanaged/list": 1,
				"/acs/users/list": 1,
			},
		},
		{
			name: "a rule that matches nobody puts its group in scope: its members are read, nothing else",
			rows: []desired.Row{{Line: 2, SystemID: "sys0", GroupName: "Group 0", Email: "user0@site0.example"}},
			rules: []plan.Rule{
				{File: "rules.csv", Line: 2, SystemName: "Site 0", GroupName: "Group 0", People: 1},
				{File: "rules.csv", Line: 3, SystemName: "site 0", GroupName: "Group 2"},
			},
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 1, "/acs/access_groups/unmanaged/list": 1,
				"/acs/users/list": 1, "/acs/access_groups/list_users": 2,
			},
			members: []string{"sys0_g0", "sys0_g2"},
		},
		{
			name:  "a rule in a system no row names reads that system too",
			rows:  []desired.Row{{Line: 2, SystemID: "sys0", GroupName: "Group 0", Email: "user0@site0.example"}},
			rules: []plan.Rule{{File: "rules.csv", Line: 2, SystemID: "sys1", GroupName: "Group 2"}},
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 2, "/acs/access_groups/unmanaged/list": 2,
				"/acs/users/list": 2, "/acs/access_groups/list_users": 2,
			},
			members: []string{"sys0_g0", "sys1_g2"},
		},
		{
			name: "a rule without a system names its group in every system read",
			rows: []desired.Row{
				{Line: 2, SystemID: "sys0", GroupName: "Group 0", Email: "user0@site0.example"},
				{Line: 3, SystemID: "sys1", GroupName: "Group 0", Email: "user0@site1.example"},
			},
			rules: []plan.Rule{{File: "rules.csv", Line: 2, GroupName: "Group 1"}},
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 2, "/acs/access_groups/unmanaged/list": 2,
				"/acs/users/list": 2, "/acs/access_groups/list_users": 4,
			},
			members: []string{"sys0_g0", "sys0_g1", "sys1_g0", "sys1_g1"},
		},
		{
			name: "export reads every managed group of every system, and the identities when asked",
			all:  plan.ReadAll(nil, true),
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 2, "/acs/access_groups/unmanaged/list": 2,
				"/acs/users/list": 2, "/acs/access_groups/list_users": 6, "/user_identities/list": 1,
			},
			members: []string{"sys0_g0", "sys0_g1", "sys0_g2", "sys1_g0", "sys1_g1", "sys1_g2"},
		},
		{
			name: "export of one system by name",
			all:  plan.ReadAll([]string{"site 0"}, false),
			want: map[string]int{
				"/acs/systems/list": 1, "/acs/access_groups/list": 1, "/acs/access_groups/unmanaged/list": 1,
				"/acs/users/list": 1, "/acs/access_groups/list_users": 3,
			},
			members: []string{"sys0_g0", "sys0_g1", "sys0_g2"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, client := serve(t, sandbox.Grid(2, 3, 10))
			reads := c.all
			if reads == nil {
				reads = plan.NewReads(plan.Input{Rows: c.rows, Rules: c.rules, WithRules: c.rules != nil}, c.opts)
			}
			snap, err := live.Read(context.Background(), client, reads, 0)
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
			sort.Strings(got)
			if d := cmp.Diff(c.members, got); d != "" {
				t.Errorf("groups whose members were read (-want +got):\n%s", d)
			}
			if c.all != nil {
				return
			}
			// What was read is what the plan needs: it computes.
			// (Compute refuses a plan whose in-scope groups were not read.)
			if _, err := plan.Compute(plan.Input{Rows: c.rows, Rules: c.rules, WithRules: c.rules != nil}, snap, plan.Options{Scope: c.opts.Scope, Systems: c.opts.Systems, SkipUnresolved: true, Mode: plan.ModeAddOnly}); err != nil {
				t.Errorf("Compute on what was read: %v", err)
			}
		})
	}
}

// TestReadsRefusesABadSystemAfterOneRequest: a --system that names no system
// is refused by the resolver with its one "did you mean", after the list of
// systems and nothing else.
func TestReadsRefusesABadSystemAfterOneRequest(t *testing.T) {
	srv, client := serve(t, sandbox.Grid(2, 3, 10))
	_, err := live.Read(context.Background(), client, plan.NewReads(plan.Input{}, plan.Options{Systems: []string{"Site O"}}), 0)
	var se *plan.SystemError
	if !errors.As(err, &se) || se.Error() != "unknown system 'Site O' in --system" || se.Hint() != "did you mean 'Site 0' or 'Site 1'?" {
		t.Fatalf("error %v, want the unknown --system with its hint", err)
	}
	if d := cmp.Diff(map[string]int{"/acs/systems/list": 1}, srv.Stats().ByRoute); d != "" {
		t.Errorf("requests by route (-want +got):\n%s", d)
	}
}

// TestReadsLater: with its input still being read, the systems are picked
// (and their groups and users read) without waiting when the input cannot
// change which; the members wait for the input; an input that failed reads
// nothing more.
func TestReadsLater(t *testing.T) {
	rows := []desired.Row{{Line: 2, SystemName: "Site 0", GroupName: "Group 1", Email: "user1@site0.example"}}
	t.Run("one system: groups and users read before the input is known", func(t *testing.T) {
		srv, client := serve(t, sandbox.Grid(1, 3, 10))
		release := make(chan struct{})
		reads := plan.NewReadsLater(plan.Options{}, func() (plan.Input, bool) {
			// By the time the input is asked for, the groups are read.
			if n := srv.Stats().ByRoute["/acs/access_groups/list"]; n != 1 {
				t.Errorf("the input was awaited before the groups were read (%d requests)", n)
			}
			<-release
			return plan.Input{Rows: rows}, true
		})
		close(release)
		snap, err := live.Read(context.Background(), client, reads, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := snap.Members["sys0_g1"]; !ok || len(snap.Members) != 1 {
			t.Errorf("members read %v, want Group 1's", snap.Members)
		}
	})
	t.Run("an input that failed reads no members", func(t *testing.T) {
		srv, client := serve(t, sandbox.Grid(2, 3, 10))
		reads := plan.NewReadsLater(plan.Options{Systems: []string{"sys1"}}, func() (plan.Input, bool) { return plan.Input{}, false })
		if _, err := live.Read(context.Background(), client, reads, 0); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"/acs/systems/list": 1, "/acs/access_groups/list": 1, "/acs/access_groups/unmanaged/list": 1, "/acs/users/list": 1}
		if d := cmp.Diff(want, srv.Stats().ByRoute); d != "" {
			t.Errorf("requests by route (-want +got):\n%s", d)
		}
	})
	t.Run("several systems and no --system: the input decides which", func(t *testing.T) {
		srv, client := serve(t, sandbox.Grid(2, 3, 10))
		asked := false
		reads := plan.NewReadsLater(plan.Options{}, func() (plan.Input, bool) {
			asked = true
			if n := srv.Stats().Requests; n != 1 {
				t.Errorf("%d requests before the input was known, want the systems list only", n)
			}
			return plan.Input{Rows: rows}, true
		})
		if _, err := live.Read(context.Background(), client, reads, 0); err != nil {
			t.Fatal(err)
		}
		if !asked || srv.Stats().ByRoute["/acs/access_groups/list"] != 1 {
			t.Errorf("asked %v, groups of %d systems read", asked, srv.Stats().ByRoute["/acs/access_groups/list"])
		}
	})
}
