package plan

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/seam"
	"github.com/google/go-cmp/cmp"
)

// randomCase builds a random workspace and random rows, with the
// memberships the rows mean (group id -> member tokens: an ACS user id, or
// "new:" + identity id for a person with no ACS user in the system).
func randomCase(rng *rand.Rand) (*live.Snapshot, []desired.Row, map[string]map[string]bool) {
	snap := &live.Snapshot{Members: map[string][]string{}}
	unmanaged := false
	type person struct{ acs, ident, email string }
	var people []person
	var groups []seam.AccessGroup
	for s := range 2 {
		sid := fmt.Sprintf("sys_%d", s)
		snap.Systems = append(snap.Systems, seam.System{ID: sid, Name: fmt.Sprintf("System %d", s)})
		for g := range 6 {
			ag := seam.AccessGroup{ID: fmt.Sprintf("ag_%d_%d", s, g), SystemID: sid, Name: fmt.Sprintf("Group %d", g)}
			if g == 5 {
				ag.IsManaged = &unmanaged
			}
			snap.Groups = append(snap.Groups, ag)
			groups = append(groups, ag)
		}
		for u := range 25 {
			usr := seam.User{ID: fmt.Sprintf("u_%d_%d", s, u), SystemID: sid, FullName: fmt.Sprintf("User %d", u)}
			if u%3 != 0 {
				usr.EmailAddress = fmt.Sprintf("user%d@s%d.example", u, s)
			}
			snap.Users = append(snap.Users, usr)
			people = append(people, person{acs: usr.ID, email: usr.EmailAddress})
		}
	}
	for i := range 4 {
		id := seam.UserIdentity{ID: fmt.Sprintf("ui_%d", i), EmailAddress: fmt.Sprintf("new%d@example", i)}
		snap.Identities = append(snap.Identities, id)
		people = append(people, person{ident: id.ID, email: id.EmailAddress})
	}
	for _, g := range groups {
		m := []string{}
		for _, u := range snap.Users {
			if u.SystemID == g.SystemID && rng.IntN(4) == 0 {
				m = append(m, u.ID)
			}
		}
		if rng.IntN(3) == 0 {
			m = append(m, "u_unknown_"+g.ID)
		}
		if len(m) > 0 && rng.IntN(4) == 0 {
			m = append(m, m[0]) // listed twice
		}
		snap.Members[g.ID] = m
	}

	want := map[string]map[string]bool{}
	var rows []desired.Row
	n := rng.IntN(60)
	for line := 2; line < n+2; line++ {
		g := groups[rng.IntN(len(groups))]
		if !g.Managed() {
			continue
		}
		sysName := snap.Systems[g.SystemID[len(g.SystemID)-1]-'0'].Name
		var p person
		for {
			p = people[rng.IntN(len(people))]
			if p.ident != "" || strings.HasPrefix(p.acs, "u_"+g.SystemID[4:]+"_") {
				break
			}
		}
		r := desired.Row{File: "p.csv", Line: line, SystemName: sysName}
		if rng.IntN(2) == 0 {
			r.GroupID = g.ID
		} else {
			r.GroupName = g.Name
		}
		token := p.acs
		switch {
		case p.ident != "":
			token = "new:" + p.ident
			if rng.IntN(2) == 0 {
				r.UserIdentityID = p.ident
			} else {
				r.Email = strings.ToUpper(p.email)
			}
		case p.email != "" && rng.IntN(2) == 0:
			r.Email = p.email
		default:
			r.AcsUserID = p.acs
		}
		rows = append(rows, r)
		if want[g.ID] == nil {
			want[g.ID] = map[string]bool{}
		}
		want[g.ID][token] = true
	}
	return snap, rows, want
}

// apply applies the operations to a copy of members, failing on a no-op.
func apply(t *testing.T, members map[string][]string, ops []Operation) map[string]map[string]bool {
	t.Helper()
	got := map[string]map[string]bool{}
	for g, m := range members {
		got[g] = map[string]bool{}
		for _, u := range m {
			got[g][u] = true
		}
	}
	for _, op := range ops {
		token := op.AcsUserID
		if op.Via == ViaUserIdentityID {
			token = "new:" + op.UserIdentityID
			if op.LinkAcsUserID != "" {
				token = op.LinkAcsUserID
			}
		}
		switch op.Action {
		case ActionAdd:
			if got[op.GroupID][token] {
				t.Errorf("no-op add %+v", op)
			}
			got[op.GroupID][token] = true
		case ActionRemove:
			if !got[op.GroupID][token] {
				t.Errorf("no-op remove %+v", op)
			}
			delete(got[op.GroupID], token)
		}
	}
	return got
}

func TestPropertyApplyingThePlanGivesTheRows(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 1))
		snap, rows, want := randomCase(rng)
		scope := []Scope{ScopeGroups, ScopeSystems}[seed%2]
		p, err := Compute(Input{Rows: rows}, snap, Options{Scope: scope, MaxRemovals: all, AllowEmptyGroups: true})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		got := apply(t, snap.Members, p.Operations)

		inScope := map[string]bool{}
		systems := map[string]bool{}
		for g := range want {
			inScope[g] = true
			systems[g[:len("ag_0")]] = true
		}
		for _, g := range snap.Groups {
			if scope == ScopeSystems && g.Managed() && systems[g.ID[:len("ag_0")]] {
				inScope[g.ID] = true
			}
		}
		for _, g := range snap.Groups {
			var exp map[string]bool
			if inScope[g.ID] {
				exp = want[g.ID]
			} else {
				exp = map[string]bool{}
				for _, u := range snap.Members[g.ID] {
					exp[u] = true
				}
			}
			if exp == nil {
				exp = map[string]bool{}
			}
			if diff := cmp.Diff(slices.Sorted(maps.Keys(exp)), slices.Sorted(maps.Keys(got[g.ID]))); diff != "" {
				t.Errorf("seed %d scope %s group %s (in scope %v) after applying (-want +got):\n%s", seed, scope, g.ID, inScope[g.ID], diff)
			}
		}
		sum := p.Summary()
		if sum.Add+sum.Remove != len(p.Operations) || sum.Unresolved != 0 {
			t.Errorf("seed %d: summary %+v for %d operations", seed, sum, len(p.Operations))
		}
		// Adds come before removes.
		if i := slices.IndexFunc(p.Operations, func(o Operation) bool { return o.Action == ActionRemove }); i >= 0 &&
			slices.ContainsFunc(p.Operations[i:], func(o Operation) bool { return o.Action == ActionAdd }) {
			t.Errorf("seed %d: an add follows a remove", seed)
		}
		// Deterministic.
		p2, _ := Compute(Input{Rows: rows}, snap, Options{Scope: scope, MaxRemovals: all, AllowEmptyGroups: true})
		if diff := cmp.Diff(p, p2); diff != "" {
			t.Errorf("seed %d: second Compute differs:\n%s", seed, diff)
		}
	}
}

// TestDocumentVersion1: a saved plan of version 1 (a run directory of an
// earlier acs-bulk) reads as the current version, its CSV the one input.
func TestDocumentVersion1(t *testing.T) {
	v1 := `{"version": 1, "tool_version": "v0.9.0", "created_at": "2026-11-23T02:15:00Z",
		"input_file": "nightly.csv", "input_sha256": "0123abcd",
		"options": {"mode": "sync", "scope": "groups", "max_removals": "10%", "allow_empty_groups": false, "skip_unresolved": false},
		"state_fingerprint": "sha256:ff", "members": {"ag_lobby": ["u_ann"]},
		"plan": {"options": {"mode": "sync", "scope": "groups", "max_removals": "10%", "allow_empty_groups": false, "skip_unresolved": false},
			"blocked": false, "operations": [{"action": "remove", "acs_system_id": "sys_ht", "system_name": "Harbor Tower",
				"acs_access_group_id": "ag_lobby", "group_name": "Lobby", "acs_user_id": "u_ann", "via": "acs_user_id", "reason": "member, not in the CSV (sync)"}],
			"unresolved": [], "held": [], "groups": [], "guards": [], "summary": {"add": 0, "remove": 1, "unchanged": 0, "unresolved": 0, "held": 0, "in_scope": 1}}}`
	d, err := Unmarshal([]byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != DocumentVersion || d.ToolVersion != "v0.9.0" || d.StateFingerprint != "sha256:ff" || len(d.Plan.Operations) != 1 || d.Plan.Totals.Remove != 1 {
		t.Errorf("document = %+v", d)
	}
	if diff := cmp.Diff([]InputFile{{Path: "nightly.csv", Kind: InputCSV, SHA256: "0123abcd"}}, d.Inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Reading{}, d.Reading); diff != "" {
		t.Errorf("reading (-want +got):\n%s", diff)
	}
	if got := d.Files(InputRules); got != nil {
		t.Errorf("rules files = %v", got)
	}
}

func TestDocumentRoundTrip(t *testing.T) {
	p, err := Compute(Input{Rows: baseRows()}, fixture(), Options{MaxRemovals: Limit{Value: 3, Kind: LimitCount}})
	if err != nil {
		t.Fatal(err)
	}
	d := &Document{Version: DocumentVersion, Inputs: []InputFile{{Path: "hr.csv", Kind: InputCSV, SHA256: "abc"}, {Path: "rules.csv", Kind: InputRules, SHA256: "def"}},
		Reading: Reading{Columns: map[string]string{"email": "Work Email"}, ListSeparator: "|"}, Options: p.Options, StateFingerprint: "fp", Plan: p}
	b, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, c := range []struct{ in, want string }{
		{`{"version":3,"plan":{}}`, "plan document version 3 is not supported (this acs-bulk reads versions 1 and 2)"},
		{`{"version":1}`, "read plan document: no plan in it"},
		{`{"version":2}`, "read plan document: no plan in it"},
		{`{"version":1,"plan":{},"extra":1}`, `read plan document: json: unknown field "extra"`},
		{`{"version":2,"plan":{},"input_file":"a.csv"}`, `read plan document: json: unknown field "input_file"`},
	} {
		if _, err := Unmarshal([]byte(c.in)); errString(err) != c.want {
			t.Errorf("Unmarshal(%s) error = %v, want %q", c.in, err, c.want)
		}
	}
}
