package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReplan(t *testing.T) {
	add := func(g, u string) Operation {
		return Operation{Action: ActionAdd, SystemID: "s", SystemName: "Site", GroupID: g, GroupName: g, AcsUserID: u, Via: ViaAcsUserID}
	}
	rm := func(g, u string) Operation {
		return Operation{Action: ActionRemove, SystemID: "s", SystemName: "Site", GroupID: g, GroupName: g, AcsUserID: u, Via: ViaAcsUserID}
	}
	members := map[string][]string{"Lobby": {"ann", "bob"}, "Gym": {"cat"}}
	isMember := func(g, u string) bool {
		for _, m := range members[g] {
			if m == u {
				return true
			}
		}
		return false
	}
	satisfied := func(op Operation) bool { return isMember(op.GroupID, op.AcsUserID) == (op.Action == ActionAdd) }

	ops := []Operation{rm("Lobby", "ann"), add("Lobby", "ann"), add("Gym", "dan"), rm("Gym", "eve"), rm("Gym", "cat")}
	p, done, err := Replan(ops, members, Options{MaxRemovals: Limit{Value: 5, Kind: LimitCount}}, satisfied)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]Operation{add("Gym", "dan"), rm("Lobby", "ann"), rm("Gym", "cat")}, p.Operations); d != "" {
		t.Errorf("operations, adds first (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Operation{add("Lobby", "ann"), rm("Gym", "eve")}, done); d != "" {
		t.Errorf("satisfied (-want +got):\n%s", d)
	}
	wantGroups := []GroupStat{
		{SystemID: "s", SystemName: "Site", GroupID: "Gym", GroupName: "Gym", Current: 1, Add: 1, Remove: 1, Unchanged: 0, Final: 1},
		{SystemID: "s", SystemName: "Site", GroupID: "Lobby", GroupName: "Lobby", Current: 2, Add: 0, Remove: 1, Unchanged: 1, Final: 1},
	}
	if d := cmp.Diff(wantGroups, p.Groups); d != "" {
		t.Errorf("groups (-want +got):\n%s", d)
	}
	if p.Totals.Add != 1 || p.Totals.Remove != 2 || p.Totals.InScope != 3 || p.Guard() != nil {
		t.Errorf("totals %+v, guards %v", p.Totals, p.Guards)
	}

	// The same against the default 10%: two removals of 3 trip the guard.
	p, _, err = Replan(ops, members, Options{}, satisfied)
	if err != nil {
		t.Fatal(err)
	}
	if g := p.Guard(); g == nil || len(g.Guards) != 1 || g.Guards[0].Kind != GuardMaxRemovals {
		t.Errorf("guards %+v, want max removals", p.Guards)
	}
}
