package plan

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// ht returns a Harbor Tower row.
func ht(line int, kv ...string) desired.Row {
	return row(line, append([]string{desired.ColumnSystemName, "Harbor Tower"}, kv...)...)
}

// baseRows: Ann stays in Lobby, Cat is added to Lobby and stays in Floor 2;
// Bob and Eve are extra in Lobby.
func baseRows() []desired.Row {
	return []desired.Row{
		ht(2, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "ann@x.com"),
		ht(3, desired.ColumnGroupName, "Lobby", desired.ColumnAcsUserID, "u_cat"),
		ht(4, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "cat@x.com"),
	}
}

var all = Limit{Value: 100, Kind: LimitPercent}

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		rows []desired.Row
		opts Options
		in   *Input // instead of rows
	}{
		{"sync_groups", baseRows(), Options{MaxRemovals: all}, nil},
		{"add_only", baseRows(), Options{Mode: ModeAddOnly}, nil},
		{"remove_only", baseRows(), Options{Mode: ModeRemoveOnly, MaxRemovals: all}, nil},
		{"scope_systems_guard_empty_group", baseRows(), Options{Scope: ScopeSystems, MaxRemovals: all}, nil},
		{"scope_systems_allowed", baseRows(), Options{Scope: ScopeSystems, MaxRemovals: all, AllowEmptyGroups: true}, nil},
		{"scope_systems_by_option", []desired.Row{
			row(2, desired.ColumnGroupID, "ag_rc_lobby", desired.ColumnEmail, "ann@x.com"),
		}, Options{Scope: ScopeSystems, Systems: []string{"Riverside Campus"}, MaxRemovals: all, AllowEmptyGroups: true}, nil},
		{"guard_max_removals_count", baseRows(), Options{MaxRemovals: Limit{Value: 1, Kind: LimitCount}}, nil},
		{"guard_max_removals_count_ok", baseRows(), Options{MaxRemovals: Limit{Value: 2, Kind: LimitCount}}, nil},
		{"guard_max_adds_percent", baseRows(), Options{Mode: ModeAddOnly, MaxAdds: &Limit{Value: 10, Kind: LimitPercent}}, nil},
		{"guard_max_adds_count_ok", baseRows(), Options{Mode: ModeAddOnly, MaxAdds: &Limit{Value: 1, Kind: LimitCount}}, nil},
		{"guard_max_removals_percent", baseRows(), Options{}, nil},
		{"guard_max_removals_percent_ok", baseRows(), Options{MaxRemovals: Limit{Value: 50, Kind: LimitPercent}}, nil},
		{"guard_empty_group", []desired.Row{
			ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "ann@x.com"),
			ht(3, desired.ColumnGroupName, "Floor 2", desired.ColumnIdentityID, "ui_fay"),
		}, Options{Mode: ModeRemoveOnly, MaxRemovals: all}, nil},
		{"guard_empty_input", nil, Options{Scope: ScopeSystems, Systems: []string{"sys_rc"}}, nil},
		{"guard_empty_input_allowed", nil, Options{Scope: ScopeSystems, Systems: []string{"sys_rc"}, AllowEmptyGroups: true, MaxRemovals: all}, nil},
		{"add_by_identity", []desired.Row{
			row(2, desired.ColumnSystemName, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnEmail, "gus@x.com"),
			row(3, desired.ColumnSystemName, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnEmail, "GUS@x.com"),
			row(4, desired.ColumnSystemName, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnIdentityID, "ui_fay", desired.ColumnEmail, "fay@x.com"),
			row(5, desired.ColumnSystemName, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnPhone, "+1 555 0109"),
			row(6, desired.ColumnSystemName, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnAcsUserID, "u_rc_bob"),
			ht(7, desired.ColumnGroupName, "Floor 2", desired.ColumnIdentityID, "ui_ian"),
			ht(8, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "cat@x.com"),
		}, Options{MaxRemovals: all}, nil},
		{"skip_unresolved", []desired.Row{
			ht(2, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "ann@x.com"),
			ht(3, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "eve@x.com"),
			ht(4, desired.ColumnGroupName, "Flor 2", desired.ColumnEmail, "bob@x.com"),
			ht(5, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "nobody@x.com"),
			ht(6, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "cat@x.com"),
		}, Options{SkipUnresolved: true, MaxRemovals: all}, nil},
		{"unresolved_blocked", []desired.Row{
			ht(2, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "ann@x.com"),
			ht(3, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "eve@x.com"),
			ht(4, desired.ColumnGroupName, "Flor 2", desired.ColumnEmail, "bob@x.com"),
		}, Options{}, nil},
		{"no_changes", []desired.Row{
			ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "cat@x.com"),
		}, Options{}, nil},
		{"rules_sync", nil, Options{MaxRemovals: all}, rulesInput()},
		{"rules_unresolved", nil, Options{}, rulesUnresolved()},
		{"rules_skip_unresolved", nil, Options{SkipUnresolved: true, MaxRemovals: all}, rulesUnresolved()},
		{"several_files", nil, Options{MaxRemovals: all}, &Input{Rows: []desired.Row{
			fileRow("harbor.csv", 2, "Harbor Tower", desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "cat@x.com"),
			fileRow("harbor.csv", 3, "Harbor Tower", desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "ann@x.com"),
			fileRow("riverside.csv", 2, "Riverside Campus", desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "ann@x.com"),
			fileRow("riverside.csv", 3, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnEmail, "bob@x.com"),
			fileRow("riverside.csv", 4, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnEmail, "ann@x.com"),
		}}},
		{"list_no_groups", nil, Options{MaxRemovals: all}, &Input{
			WithLists: true,
			Rows: []desired.Row{
				ht(2, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "ann@x.com"),
				ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "ann@x.com"),
			},
			Groupless: []desired.Row{ht(3, desired.ColumnEmail, "bob@x.com"), row(4, desired.ColumnEmail, "cat@x.com")},
		}},
		{"rules_empty_input", nil, Options{}, &Input{WithRules: true, Rules: []Rule{}, Groupless: []desired.Row{ht(2, desired.ColumnEmail, "bob@x.com")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Rows: tt.rows}
			if tt.in != nil {
				in = *tt.in
			}
			p, err := Compute(in, fixture(), tt.opts)
			if p == nil {
				t.Fatalf("Compute returned no plan: %v", err)
			}
			var text, js bytes.Buffer
			if err := p.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if err != nil {
				text.WriteString("\nerror:\n" + err.Error() + "\n")
			}
			if err := p.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			var sum bytes.Buffer
			if err := p.WriteSummary(&sum); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".txt.golden", text.Bytes())
			golden(t, tt.name+".json.golden", js.Bytes())
			golden(t, tt.name+".summary.golden", sum.Bytes())
		})
	}
}

// fileRow is a row of system in the named file.
func fileRow(file string, line int, system string, kv ...string) desired.Row {
	r := row(line, append([]string{desired.ColumnSystemName, system}, kv...)...)
	r.File = file
	return r
}

// rulesInput is an HR export expanded with three rules, as package rules
// gives it: Ann (Sales) gets the Lobby, Cat (Ops) the Lobby and Floor 2
// (a rule without a system: Floor 2 of her system), Eve (Ops, not on site)
// Floor 2 only, so she leaves the Lobby; Bob matches no rule, and the rule
// for Floor 3 matches nobody (Dan, its member, goes: the group would be
// emptied).
func rulesInput() *Input {
	hr := func(line int, kv ...string) desired.Row {
		r := ht(line, kv...)
		r.File = "hr.csv"
		return r
	}
	rules := []Rule{
		{File: "rules.csv", Line: 2, Conditions: "department=*", SystemName: "Harbor Tower", GroupName: "Lobby", People: 2},
		{File: "rules.csv", Line: 3, Conditions: "department=Ops", GroupName: "Floor 2", People: 2},
		{File: "rules.csv", Line: 4, Conditions: "department=Slaes", SystemName: "Harbor Tower", GroupName: "Floor 3", Hint: `no row has department "Slaes"; did you mean "Sales"?`},
	}
	return &Input{
		Rows: []desired.Row{
			hr(2, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "ann@x.com"),
			hr(3, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "Cat@X.com"),
			hr(3, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "Cat@X.com"),
			hr(6, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_eve1"),
		},
		Origins:   []int32{1, 1, 2, 2},
		Rules:     rules,
		WithRules: true,
		Groupless: []desired.Row{hr(4, desired.ColumnEmail, "bob@x.com"), hr(5, desired.ColumnEmail, "nobody@x.com")},
		Headers:   map[string]map[string]string{"hr.csv": {desired.ColumnEmail: "Work Email"}},
	}
}

// rulesUnresolved has a rule whose group is unknown (with a hint), a rule
// without a system whose group only one of its people's systems has, and
// a person who is nobody (matched by two rules: one problem).
func rulesUnresolved() *Input {
	hr := func(line int, sys string, kv ...string) desired.Row {
		r := row(line, append([]string{desired.ColumnSystemName, sys}, kv...)...)
		r.File = "hr.csv"
		return r
	}
	return &Input{
		Rows: []desired.Row{
			hr(2, "Harbor Tower", desired.ColumnGroupName, "Lobbby", desired.ColumnEmail, "ann@x.com"),
			hr(2, "Harbor Tower", desired.ColumnGroupName, "Lab", desired.ColumnEmail, "ann@x.com"),
			hr(3, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnEmail, "bob@x.com"),
			hr(4, "Harbor Tower", desired.ColumnGroupName, "Lobbby", desired.ColumnEmail, "nobody@x.com"),
			hr(4, "Harbor Tower", desired.ColumnGroupName, "Lab", desired.ColumnEmail, "nobody@x.com"),
			hr(5, "Harbor Tower", desired.ColumnGroupName, "Lab", desired.ColumnEmail, "cat@x.com"),
		},
		Origins: []int32{1, 2, 2, 1, 2, 2},
		Rules: []Rule{
			{File: "rules.csv", Line: 2, Conditions: "department=Sales", SystemName: "Harbor Tower", GroupName: "Lobbby", People: 2},
			{File: "rules.csv", Line: 3, Conditions: "", GroupName: "Lab", People: 4},
		},
		WithRules: true,
		Headers:   map[string]map[string]string{"hr.csv": {desired.ColumnEmail: "Work Email"}},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
