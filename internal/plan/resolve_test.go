package plan

import (
	"errors"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/seam"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// re builds the expected RowError of access.csv at line.
func re(line int, col, msg, hint string) RowError {
	return RowError{File: csvFile, Line: line, Column: col, Msg: msg, Hint: hint}
}

// add builds the expected add by ACS user.
func add(line int, sys, group, user, identity string) Operation {
	return Operation{Action: ActionAdd, SystemID: sys, GroupID: group, AcsUserID: user, UserIdentityID: identity,
		Line: line, Via: ViaAcsUserID, Reason: "line " + itoa(line) + ": not a member"}
}

func itoa(n int) string { return Limit{Value: n, Kind: LimitCount}.String() }

// ignoreNames leaves out of comparisons the fields copied from the snapshot
// for display.
var ignoreNames = cmpopts.IgnoreFields(Operation{}, "SystemName", "GroupName", "Email", "FullName", "File")

// ignoreRowValues leaves out the row's values a RowError carries
// (TestRowErrorCarriesTheRowsValues checks them).
var ignoreRowValues = cmpopts.IgnoreFields(RowError{}, "SystemID", "SystemName", "GroupID", "GroupName", "AcsUserID", "UserIdentityID", "Email", "FullName")

func TestRowErrorCarriesTheRowsValues(t *testing.T) {
	rows := []desired.Row{row(7, desired.ColumnSystemName, "Harbor Tower", desired.ColumnGroupName, "Flor 2", desired.ColumnEmail, "new.hire@x.com", desired.ColumnFullName, "New Hire")}
	p, err := Compute(Input{Rows: rows}, fixture(), Options{SkipUnresolved: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []RowError{{File: csvFile, Line: 7, Column: desired.ColumnGroupName, Msg: "unknown group 'Flor 2' in Harbor Tower", Hint: "did you mean 'Floor 2'?",
		SystemName: "Harbor Tower", GroupName: "Flor 2", Email: "new.hire@x.com", FullName: "New Hire"},
		{File: csvFile, Line: 7, Column: desired.ColumnEmail, Msg: "no ACS user in Harbor Tower and no user identity has email new.hire@x.com",
			SystemName: "Harbor Tower", GroupName: "Flor 2", Email: "new.hire@x.com", FullName: "New Hire"}}
	if diff := cmp.Diff(want, p.Unresolved); diff != "" {
		t.Errorf("unresolved (-want +got):\n%s", diff)
	}
}

func TestResolve(t *testing.T) {
	rc := func(line int, kv ...string) desired.Row {
		return row(line, append([]string{desired.ColumnSystemName, "Riverside Campus"}, kv...)...)
	}
	tests := []struct {
		name    string
		rows    []desired.Row
		opts    Options
		wantErr []RowError
		wantOps []Operation
	}{
		// Groups.
		{name: "group by name", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_bob")},
			wantOps: []Operation{add(2, "sys_ht", "ag_f2", "u_bob", "")}},
		{name: "group by id", rows: []desired.Row{ht(2, desired.ColumnGroupID, "ag_f2", desired.ColumnAcsUserID, "u_bob")},
			wantOps: []Operation{add(2, "sys_ht", "ag_f2", "u_bob", "")}},
		{name: "unknown group name hints the closest", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Flor 2", desired.ColumnAcsUserID, "u_bob")},
			wantErr: []RowError{re(2, desired.ColumnGroupName, "unknown group 'Flor 2' in Harbor Tower", "did you mean 'Floor 2'?")}},
		{name: "a swap of two letters is one edit", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Lboby", desired.ColumnAcsUserID, "u_bob")},
			wantErr: []RowError{re(2, desired.ColumnGroupName, "unknown group 'Lboby' in Harbor Tower", "did you mean 'Lobby'?")}},
		{name: "unknown group name far from all has no hint", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Roof Terrace", desired.ColumnAcsUserID, "u_bob")},
			wantErr: []RowError{re(2, desired.ColumnGroupName, "unknown group 'Roof Terrace' in Harbor Tower", "")}},
		{name: "group name of another system is unknown here", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Lab", desired.ColumnAcsUserID, "u_bob")},
			wantErr: []RowError{re(2, desired.ColumnGroupName, "unknown group 'Lab' in Harbor Tower", "")}},
		{name: "ambiguous group name names both ids", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Gym", desired.ColumnAcsUserID, "u_bob")},
			wantErr: []RowError{re(2, desired.ColumnGroupName, "group name 'Gym' in Harbor Tower is ambiguous: ag_gym1, ag_gym2", "use an acs_access_group_id column")}},
		{name: "id picks one of two groups of the same name", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Gym", desired.ColumnGroupID, "ag_gym2", desired.ColumnAcsUserID, "u_bob")},
			wantOps: []Operation{add(2, "sys_ht", "ag_gym2", "u_bob", "")}},
		{name: "id and name of different groups", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Lobby", desired.ColumnGroupID, "ag_f2", desired.ColumnAcsUserID, "u_bob")},
			wantErr: []RowError{re(2, desired.ColumnGroupName, "acs_access_group_id ag_f2 is group 'Floor 2', but access_group says 'Lobby'", "")}},
		{name: "unknown group id", rows: []desired.Row{ht(2, desired.ColumnGroupID, "ag_nope", desired.ColumnAcsUserID, "u_bob")},
			wantErr: []RowError{re(2, desired.ColumnGroupID, "unknown acs_access_group_id 'ag_nope'", "")}},
		{name: "group id of another system", rows: []desired.Row{ht(2, desired.ColumnGroupID, "ag_rc_lab", desired.ColumnAcsUserID, "u_bob")},
			wantErr: []RowError{re(2, desired.ColumnGroupID, "acs_access_group_id ag_rc_lab is group 'Lab' in Riverside Campus, not in Harbor Tower", "")}},
		{name: "unmanaged group", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Parking", desired.ColumnAcsUserID, "u_bob")},
			wantErr: []RowError{re(2, desired.ColumnGroupName, "group 'Parking' (ag_park) in Harbor Tower is not managed: Seam cannot change its members", "")}},
		{name: "no group", rows: []desired.Row{ht(2, desired.ColumnAcsUserID, "u_bob")},
			wantErr: []RowError{re(2, "", "no group for this row", "add an acs_access_group_id or access_group column")}},

		// Systems.
		{name: "system by id", rows: []desired.Row{row(2, desired.ColumnSystemID, "sys_ht", desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_bob")},
			wantOps: []Operation{add(2, "sys_ht", "ag_f2", "u_bob", "")}},
		{name: "system id and name disagree", rows: []desired.Row{row(2, desired.ColumnSystemID, "sys_ht", desired.ColumnSystemName, "Riverside Campus", desired.ColumnGroupName, "Lab", desired.ColumnAcsUserID, "u_rc_ann")},
			wantErr: []RowError{re(2, desired.ColumnSystemName, "acs_system_id sys_ht is system 'Harbor Tower', but acs_system says 'Riverside Campus'", "")}},
		{name: "unknown system id", rows: []desired.Row{row(2, desired.ColumnSystemID, "sys_zz", desired.ColumnGroupName, "Lab", desired.ColumnAcsUserID, "u_rc_ann")},
			wantErr: []RowError{re(2, desired.ColumnSystemID, "unknown acs_system_id 'sys_zz'", "")}},
		{name: "unknown system name hints the closest", rows: []desired.Row{row(2, desired.ColumnSystemName, "Harbour Tower", desired.ColumnGroupName, "Lobby", desired.ColumnAcsUserID, "u_bob")},
			wantErr: []RowError{re(2, desired.ColumnSystemName, "unknown system 'Harbour Tower'", "did you mean 'Harbor Tower'?")}},
		{name: "no system among several", rows: []desired.Row{row(2, desired.ColumnGroupName, "Lobby", desired.ColumnAcsUserID, "u_bob")},
			wantErr: []RowError{re(2, "", "no system for this row: the workspace has 2 systems", "add an acs_system_id or acs_system column, or pass --system")}},
		{name: "no system: the one --system", rows: []desired.Row{row(2, desired.ColumnGroupName, "Lobby", desired.ColumnAcsUserID, "u_rc_bob")},
			opts:    Options{Systems: []string{"Riverside Campus"}},
			wantOps: []Operation{add(2, "sys_rc", "ag_rc_lobby", "u_rc_bob", "")}},
		{name: "no system: the system of the group id", rows: []desired.Row{row(2, desired.ColumnGroupID, "ag_rc_lobby", desired.ColumnAcsUserID, "u_rc_bob")},
			wantOps: []Operation{add(2, "sys_rc", "ag_rc_lobby", "u_rc_bob", "")}},
		{name: "no system and an unknown group id", rows: []desired.Row{row(2, desired.ColumnGroupID, "ag_nope", desired.ColumnAcsUserID, "u_rc_bob")},
			wantErr: []RowError{re(2, desired.ColumnGroupID, "unknown acs_access_group_id 'ag_nope'", "")}},
		{name: "row outside --system", rows: []desired.Row{rc(2, desired.ColumnGroupName, "Lab", desired.ColumnAcsUserID, "u_rc_ann")},
			opts:    Options{Systems: []string{"sys_ht"}},
			wantErr: []RowError{re(2, desired.ColumnSystemName, "system Riverside Campus is outside --system Harbor Tower", "")}},

		// Users.
		{name: "acs_user_id", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_ann")},
			wantOps: []Operation{add(2, "sys_ht", "ag_f2", "u_ann", "ui_ann")}},
		{name: "unknown acs_user_id", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_nope")},
			wantErr: []RowError{re(2, desired.ColumnAcsUserID, "unknown acs_user_id 'u_nope'", "")}},
		{name: "acs_user_id of another system", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_rc_bob")},
			wantErr: []RowError{re(2, desired.ColumnAcsUserID, "acs_user_id u_rc_bob is in Riverside Campus, not in Harbor Tower", "")}},
		{name: "email case-insensitive", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "ANN@X.com")},
			wantOps: []Operation{add(2, "sys_ht", "ag_f2", "u_ann", "ui_ann")}},
		{name: "email against the deprecated email field", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "cat@x.com")},
			wantOps: []Operation{add(2, "sys_ht", "ag_lobby", "u_cat", "")}},
		{name: "email against user_identity_email_address", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "fay@x.com")},
			wantOps: []Operation{add(2, "sys_ht", "ag_f2", "u_fay", "ui_fay")}},
		{name: "email of two ACS users is ambiguous", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "eve@x.com")},
			wantErr: []RowError{re(2, desired.ColumnEmail, "email eve@x.com matches several ACS users in Harbor Tower: u_eve1, u_eve2", "add an acs_user_id column to choose")}},
		{name: "email of two identities is ambiguous", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "kim@x.com")},
			wantErr: []RowError{re(2, desired.ColumnEmail, "email kim@x.com matches several user identities: ui_kim1, ui_kim2", "add a user_identity_id or acs_user_id column to choose")}},
		{name: "email of nobody", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "zed@x.com")},
			wantErr: []RowError{re(2, desired.ColumnEmail, "no ACS user in Harbor Tower and no user identity has email zed@x.com", "")}},
		{name: "phone normalized", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnPhone, " 555.0104 ")},
			wantOps: []Operation{add(2, "sys_ht", "ag_f2", "u_dan", "")}},
		{name: "phone without digits", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnPhone, "n/a")},
			wantErr: []RowError{re(2, desired.ColumnPhone, "phone_number 'n/a' has no digits", "")}},
		{name: "phone of nobody", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnPhone, "+44 20 0000")},
			wantErr: []RowError{re(2, desired.ColumnPhone, "no ACS user in Harbor Tower and no user identity has phone number +44 20 0000", "")}},
		{name: "user_identity_id with an ACS user", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnIdentityID, "ui_ann")},
			wantOps: []Operation{add(2, "sys_ht", "ag_f2", "u_ann", "ui_ann")}},
		{name: "unknown user_identity_id", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnIdentityID, "ui_nope")},
			wantErr: []RowError{re(2, desired.ColumnIdentityID, "unknown user_identity_id 'ui_nope'", "")}},
		{name: "no user", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", "full_name", "Ann Lee")},
			wantErr: []RowError{re(2, "", "no user for this row", "add an acs_user_id, user_identity_id, email or phone_number column")}},

		// Identity adds.
		{name: "identity by email, no ACS user: link or create", rows: []desired.Row{rc(9, desired.ColumnGroupName, "Lab", desired.ColumnEmail, "gus@x.com")},
			wantOps: []Operation{{Action: ActionAdd, SystemID: "sys_rc", GroupID: "ag_rc_lab", UserIdentityID: "ui_gus", Line: 9, Via: ViaUserIdentityID,
				Reason: "line 9: no ACS user in Riverside Campus; Seam will link or create one for identity ui_gus (gus@x.com)"}}},
		{name: "identity id with no ACS user in this system", rows: []desired.Row{rc(9, desired.ColumnGroupName, "Lab", desired.ColumnIdentityID, "ui_fay")},
			wantOps: []Operation{{Action: ActionAdd, SystemID: "sys_rc", GroupID: "ag_rc_lab", UserIdentityID: "ui_fay", Line: 9, Via: ViaUserIdentityID,
				Reason: "line 9: no ACS user in Riverside Campus; Seam will link or create one for identity ui_fay (fay@x.com)"}}},
		{name: "identity by phone", rows: []desired.Row{rc(9, desired.ColumnGroupName, "Lab", desired.ColumnPhone, "+1-555-0109")},
			wantOps: []Operation{{Action: ActionAdd, SystemID: "sys_rc", GroupID: "ag_rc_lab", UserIdentityID: "ui_jo", Line: 9, Via: ViaUserIdentityID,
				Reason: "line 9: no ACS user in Riverside Campus; Seam will link or create one for identity ui_jo (+15550109)"}}},
		{name: "identity whose email an unlinked ACS user has: Seam links it", rows: []desired.Row{ht(9, desired.ColumnGroupName, "Lobby", desired.ColumnIdentityID, "ui_ian")},
			wantOps: []Operation{{Action: ActionAdd, SystemID: "sys_ht", GroupID: "ag_lobby", UserIdentityID: "ui_ian", LinkAcsUserID: "u_ian", Line: 9, Via: ViaUserIdentityID,
				Reason: "line 9: no ACS user in Harbor Tower is linked to identity ui_ian (ian@x.com); Seam will link ACS user u_ian, which has its email or phone"}}},
		{name: "identity and email disagree", rows: []desired.Row{rc(9, desired.ColumnGroupName, "Lab", desired.ColumnIdentityID, "ui_gus", desired.ColumnEmail, "ann@x.com")},
			wantErr: []RowError{re(9, desired.ColumnEmail, "email ann@x.com does not match user identity ui_gus (gus@x.com)", "")}},

		// Agreement of the less specific identifiers.
		{name: "acs_user_id with its own email, phone and identity", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_ann", desired.ColumnIdentityID, "ui_ann", desired.ColumnEmail, "Ann@x.com", desired.ColumnPhone, "+1 555 010 0001")},
			wantOps: []Operation{add(2, "sys_ht", "ag_f2", "u_ann", "ui_ann")}},
		{name: "acs_user_id with another user's email", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_ann", desired.ColumnEmail, "bob@x.com")},
			wantErr: []RowError{re(2, desired.ColumnEmail, "email bob@x.com does not match ACS user u_ann (ann@x.com)", "")}},
		{name: "acs_user_id with another identity", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_ann", desired.ColumnIdentityID, "ui_fay")},
			wantErr: []RowError{re(2, desired.ColumnIdentityID, "user_identity_id ui_fay does not match ACS user u_ann (linked to ui_ann)", "")}},
		{name: "acs_user_id with another phone", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_ann", desired.ColumnPhone, "+1 555 0000")},
			wantErr: []RowError{re(2, desired.ColumnPhone, "phone_number +1 555 0000 does not match ACS user u_ann (+1 (555) 010-0001)", "")}},
		{name: "user without email, row email of another user", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_dan", desired.ColumnEmail, "bob@x.com")},
			wantErr: []RowError{re(2, desired.ColumnEmail, "email bob@x.com belongs to ACS user u_bob, not u_dan", "")}},
		{name: "user without email, row email of nobody agrees", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_dan", desired.ColumnEmail, "dan@x.com")},
			wantOps: []Operation{add(2, "sys_ht", "ag_f2", "u_dan", "")}},
		{name: "email decides, phone must agree", rows: []desired.Row{ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "ann@x.com", desired.ColumnPhone, "555-0104")},
			wantErr: []RowError{re(2, desired.ColumnPhone, "phone_number 555-0104 does not match ACS user u_ann (+1 (555) 010-0001)", "")}},

		// Several rows.
		{name: "one person by two identifiers is one membership", rows: []desired.Row{
			ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "ann@x.com"),
			ht(3, desired.ColumnGroupID, "ag_f2", desired.ColumnAcsUserID, "u_ann"),
			ht(4, desired.ColumnGroupName, "Floor 2", desired.ColumnPhone, "+1 555 010 0001"),
		}, wantOps: []Operation{add(2, "sys_ht", "ag_f2", "u_ann", "ui_ann")}},
		{name: "same acs_user_id with the emails of two people", rows: []desired.Row{
			ht(2, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_ann", desired.ColumnEmail, "ann@x.com"),
			ht(3, desired.ColumnGroupName, "Floor 2", desired.ColumnAcsUserID, "u_ann", desired.ColumnEmail, "bob@x.com"),
		}, wantErr: []RowError{re(3, desired.ColumnEmail, "email bob@x.com does not match ACS user u_ann (ann@x.com)", "")}},
		{name: "every error is reported, group and user of one row both", rows: []desired.Row{
			ht(2, desired.ColumnGroupName, "Flor 2", desired.ColumnEmail, "zed@x.com"),
			ht(3, desired.ColumnGroupName, "Floor 2", desired.ColumnEmail, "bob@x.com"),
			ht(4, desired.ColumnGroupName, "Gym", desired.ColumnEmail, "bob@x.com"),
		}, wantErr: []RowError{
			re(2, desired.ColumnGroupName, "unknown group 'Flor 2' in Harbor Tower", "did you mean 'Floor 2'?"),
			re(2, desired.ColumnEmail, "no ACS user in Harbor Tower and no user identity has email zed@x.com", ""),
			re(4, desired.ColumnGroupName, "group name 'Gym' in Harbor Tower is ambiguous: ag_gym1, ag_gym2", "use an acs_access_group_id column"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.MaxRemovals = all
			tt.opts.AllowEmptyGroups = true
			p, err := Compute(Input{Rows: tt.rows}, fixture(), tt.opts)
			var errs *Errors
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Compute: %v", err)
			case tt.wantErr != nil && !errors.As(err, &errs):
				t.Fatalf("Compute error = %v, want *Errors", err)
			case tt.wantErr != nil:
				var got []RowError
				for _, e := range errs.Rows {
					got = append(got, *e)
				}
				if diff := cmp.Diff(tt.wantErr, got, ignoreRowValues); diff != "" {
					t.Errorf("errors (-want +got):\n%s", diff)
				}
				if !p.Blocked || len(p.Operations) != 0 || !cmp.Equal(p.Unresolved, got) {
					t.Errorf("blocked plan = %+v, want blocked with the errors and no operations", p)
				}
				return
			}
			var adds []Operation
			for _, op := range p.Operations {
				if op.Action == ActionAdd {
					adds = append(adds, op)
				}
			}
			if diff := cmp.Diff(tt.wantOps, adds, ignoreNames); diff != "" {
				t.Errorf("adds (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRowErrorText(t *testing.T) {
	e := re(14, desired.ColumnGroupName, "unknown group 'Flor 2' in Harbor Tower", "did you mean 'Floor 2'?")
	if got, want := e.Error(), "access.csv:14: column access_group: unknown group 'Flor 2' in Harbor Tower; did you mean 'Floor 2'?"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var target *RowError
	if err := error(&Errors{Rows: []*RowError{&e}}); !errors.As(err, &target) || target.Line != 14 {
		t.Errorf("errors.As on *Errors did not find the row error")
	}
}

func TestComputeOptionErrors(t *testing.T) {
	rows := []desired.Row{ht(2, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "ann@x.com")}
	missing := fixture()
	delete(missing.Members, "ag_lobby")
	tests := []struct {
		name string
		snap bool
		opts Options
		want string
	}{
		{"bad mode", true, Options{Mode: "mirror"}, `unknown mode "mirror": want sync, add-only or remove-only`},
		{"bad scope", true, Options{Scope: "all"}, `unknown scope "all": want groups or systems`},
		{"members not read", false, Options{}, "members of group 'Lobby' (ag_lobby) were not read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := fixture()
			if !tt.snap {
				snap = missing
			}
			p, err := Compute(Input{Rows: rows}, snap, tt.opts)
			if p != nil || err == nil || err.Error() != tt.want {
				t.Errorf("Compute = %v, %v; want no plan and %q", p, err, tt.want)
			}
		})
	}
}

// TestSystemRule: --system and a row's acs_system find a system by one rule:
// an id, or a name compared case-insensitively in ASCII letters only; an
// unknown name gets one "did you mean", a shared name is ambiguous.
func TestSystemRule(t *testing.T) {
	twins := fixture()
	twins.Systems = append(twins.Systems, seam.System{ID: "sys_ht2", Name: "HARBOR tower"})
	tests := []struct {
		name      string
		snap      *live.Snapshot
		systems   []string
		rowSystem string
		// wantErr and wantHint are the --system error; wantRow the row's.
		wantErr, wantHint string
		wantRow           []RowError
	}{
		{name: "--system name in another case", systems: []string{"harbor tower"}, rowSystem: "HARBOR TOWER"},
		{name: "--system by id", systems: []string{"sys_ht"}, rowSystem: "Harbor Tower"},
		{name: "--system typo gets one did you mean", systems: []string{"Harbour Tower"},
			wantErr: "unknown system 'Harbour Tower' in --system", wantHint: "did you mean 'Harbor Tower'?"},
		{name: "--system far from every name lists them", systems: []string{"Warehouse"},
			wantErr: "unknown system 'Warehouse' in --system", wantHint: "the workspace has 'Harbor Tower', 'Riverside Campus'"},
		{name: "--system naming two systems is ambiguous", snap: twins, systems: []string{"harbor TOWER"},
			wantErr: "system name 'harbor TOWER' in --system is ambiguous: sys_ht, sys_ht2", wantHint: "use the system id"},
		{name: "row system typo", rowSystem: "harbour tower",
			wantRow: []RowError{re(2, desired.ColumnSystemName, "unknown system 'harbour tower'", "did you mean 'Harbor Tower'?")}},
		{name: "row system naming two systems", snap: twins, rowSystem: "Harbor Tower",
			wantRow: []RowError{re(2, desired.ColumnSystemName, "system name 'Harbor Tower' is ambiguous: sys_ht, sys_ht2", "use an acs_system_id column")}},
		{name: "a non-ASCII letter never matches an ASCII one", rowSystem: "Harbor TowerK",
			wantRow: []RowError{re(2, desired.ColumnSystemName, "unknown system 'Harbor TowerK'", "did you mean 'Harbor Tower'?")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := tt.snap
			if snap == nil {
				snap = fixture()
			}
			rs := tt.rowSystem
			if rs == "" {
				rs = "Harbor Tower"
			}
			rows := []desired.Row{row(2, desired.ColumnSystemName, rs, desired.ColumnGroupName, "Lobby", desired.ColumnEmail, "ann@x.com")}
			p, err := Compute(Input{Rows: rows}, snap, Options{Systems: tt.systems, Mode: ModeAddOnly})
			var se *SystemError
			switch {
			case tt.wantErr != "":
				if !errors.As(err, &se) || se.Error() != tt.wantErr || se.Hint() != tt.wantHint || se.ExitCode() != 2 {
					t.Fatalf("Compute error %v (hint %q), want %q with hint %q", err, hintOf(se), tt.wantErr, tt.wantHint)
				}
				if p != nil {
					t.Errorf("a plan came with the --system error")
				}
			case tt.wantRow != nil:
				if diff := cmp.Diff(tt.wantRow, p.Unresolved, ignoreRowValues); diff != "" {
					t.Errorf("unresolved (-want +got):\n%s", diff)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if p.Totals.Unresolved != 0 || p.Totals.Unchanged != 1 {
					t.Errorf("totals %+v, want Ann unchanged in Lobby", p.Totals)
				}
			}
		})
	}
}

func hintOf(e *SystemError) string {
	if e == nil {
		return ""
	}
	return e.Hint()
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in      string
		want    Limit
		wantErr string
	}{
		{"10%", Limit{10, LimitPercent}, ""},
		{" 25 ", Limit{25, LimitCount}, ""},
		{"0", Limit{0, LimitCount}, ""},
		{"100%", Limit{100, LimitPercent}, ""},
		{"101%", Limit{}, `invalid limit "101%": a percentage is at most 100%`},
		{"-1", Limit{}, `invalid limit "-1": want a count such as 25 or a percentage such as 10%`},
		{"ten", Limit{}, `invalid limit "ten": want a count such as 25 or a percentage such as 10%`},
		{"%", Limit{}, `invalid limit "%": want a count such as 25 or a percentage such as 10%`},
	}
	for _, tt := range tests {
		got, err := ParseLimit(tt.in)
		if gotErr := errString(err); got != tt.want || gotErr != tt.wantErr {
			t.Errorf("ParseLimit(%q) = %+v, %q; want %+v, %q", tt.in, got, gotErr, tt.want, tt.wantErr)
		}
	}
	if got := (Limit{}).String(); got != "10%" {
		t.Errorf("zero Limit = %q, want the default 10%%", got)
	}
	for _, c := range []struct {
		l          Limit
		in, wantOK int
	}{{Limit{10, LimitPercent}, 200, 20}, {Limit{10, LimitPercent}, 15, 1}, {Limit{}, 9, 0}, {Limit{7, LimitCount}, 1000, 7}} {
		if got := c.l.Allowed(c.in); got != c.wantOK {
			t.Errorf("%v.Allowed(%d) = %d, want %d", c.l, c.in, got, c.wantOK)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
