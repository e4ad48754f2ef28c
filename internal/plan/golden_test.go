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
	}{
		{"sync_groups", baseRows(), Options{MaxRemovals: all}},
		{"add_only", baseRows(), Options{Mode: ModeAddOnly}},
		{"remove_only", baseRows(), Options{Mode: ModeRemoveOnly, MaxRemovals: all}},
		{"scope_systems_guard_empty_group", baseRows(), Options{Scope: ScopeSystems, MaxRemovals: all}},
		{"scope_systems_allowed", baseRows(), Options{Scope: ScopeSystems, MaxRemovals: all, AllowEmptyGroups: true}},
		{"scope_systems_by_option", []desired.Row{
			row(2, desired.ColumnGroupID, "ag_rc_lobby", desired.ColumnEmail, "ann@x.com"),
		}, Options{Scope: ScopeSystems, Systems: []string{"Riverside Campus"}, MaxRemovals: all, AllowEmptyGroups: true}},
		{"guard_max_removals_count", baseRows(), Options{MaxRemovals: Limit{Value: 1, Kind: LimitCount}}},
		{"guard_max_removals_count_ok", baseRows(), Options{MaxRemovals: Limit{Value: 2, Kind: LimitCount}}},
		{"guard_max_adds_percent", baseRows(), Options{Mode: ModeAddOnly, MaxAdds: &Limit{Value: 10, Kind: LimitPercent}}},
		{"guard_max_adds_count_ok", baseRows(), Options{Mode: ModeAddOnly, MaxAdds: &Limit{Value: 1, Kind: LimitCount}}},
		{"guard_max_removals_percent", baseRows(), Options{}},
		{"guard_max_removals_percent_ok", baseRows(), Options{MaxRemovals: Limit{Value: 50, Kind: LimitPercent}}},
		{"guard_empty_group", []desired.Row{
			ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "ann@x.com"),
			ht(3, desired.ColumnGroupName, "Floor 2", desired.ColumnIdentityID, "ui_fay"),
		}, Options{Mode: ModeRemoveOnly, MaxRemovals: all}},
		{"guard_empty_input", nil, Options{Scope: ScopeSystems, Systems: []string{"sys_rc"}}},
		{"guard_empty_input_allowed", nil, Options{Scope: ScopeSystems, Systems: []string{"sys_rc"}, AllowEmptyGroups: true, MaxRemovals: all}},
		{"add_by_identity", []desired.Row{
			row(2, desired.ColumnSystemName, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnEmail, "gus@x.com"),
			row(3, desired.ColumnSystemName, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnEmail, "GUS@x.com"),
			row(4, desired.ColumnSystemName, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnIdentityID, "ui_fay", desired.ColumnEmail, "fay@x.com"),
			row(5, desired.ColumnSystemName, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnPhone, "+1 555 0109"),
			row(6, desired.ColumnSystemName, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnAcsUserID, "u_rc_bob"),
			ht(7, desired.ColumnGroupName, "Floor 2", desired.ColumnIdentityID, "ui_ian"),
			ht(8, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "cat@x.com"),
		}, Options{MaxRemovals: all}},
		{"skip_unresolved", []desired.Row{
			ht(2, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "ann@x.com"),
			ht(3, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "eve@x.com"),
			ht(4, desired.ColumnGroupName, "Flor 2", desired.ColumnEmail, "bob@x.com"),
			ht(5, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "nobody@x.com"),
			ht(6, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "cat@x.com"),
		}, Options{SkipUnresolved: true, MaxRemovals: all}},
		{"unresolved_blocked", []desired.Row{
			ht(2, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "ann@x.com"),
			ht(3, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "eve@x.com"),
			ht(4, desired.ColumnGroupName, "Flor 2", desired.ColumnEmail, "bob@x.com"),
		}, Options{}},
		{"no_changes", []desired.Row{
			ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "cat@x.com"),
		}, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compute(tt.rows, fixture(), tt.opts)
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
