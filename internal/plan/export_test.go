package plan

import (
	"testing"
)

// TestExportPlansNoChange: the rows Export gives plan no change against
// the snapshot they came from, in both scopes (the round trip).
func TestExportPlansNoChange(t *testing.T) {
	snap := fixture()
	snap.Members["ag_rc_lab"] = []string{"u_rc_bob"} // no member unknown to Users
	rows := Export(snap)
	if len(rows) != 7 {
		t.Fatalf("%d rows, want one per membership of a managed group (7): %+v", len(rows), rows)
	}
	if r := rows[0]; r.SystemName != "Harbor Tower" || r.GroupName != "Floor 2" || r.Email != "Cat@X.com" {
		t.Errorf("first row %+v, want Harbor Tower's Floor 2 first, by email", r)
	}
	for i := range rows {
		rows[i].File, rows[i].Line = "export.csv", i+2
	}
	for _, scope := range []Scope{ScopeGroups, ScopeSystems} {
		p, err := Compute(Input{Rows: rows}, snap, Options{Scope: scope, AllowEmptyGroups: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.HasChanges() || p.Totals.Unchanged != 7 {
			t.Errorf("scope %s: %d operations, %d unchanged; want none and 7", scope, len(p.Operations), p.Totals.Unchanged)
		}
	}
}
