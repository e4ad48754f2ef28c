package plan

import (
	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

const csvFile = "access.csv"

// fixture is a small workspace with two systems and every case the
// resolution rules distinguish.
func fixture() *live.Snapshot {
	f := false
	return &live.Snapshot{
		Systems: []seam.System{
			{ID: "sys_ht", Name: "Harbor Tower"},
			{ID: "sys_rc", Name: "Riverside Campus"},
		},
		Groups: []seam.AccessGroup{
			{ID: "ag_lobby", SystemID: "sys_ht", Name: "Lobby"},
			{ID: "ag_f2", SystemID: "sys_ht", Name: "Floor 2"},
			{ID: "ag_f3", SystemID: "sys_ht", Name: "Floor 3"},
			{ID: "ag_gym1", SystemID: "sys_ht", Name: "Gym"},
			{ID: "ag_gym2", SystemID: "sys_ht", Name: "Gym"},
			{ID: "ag_park", SystemID: "sys_ht", Name: "Parking", IsManaged: &f},
			{ID: "ag_rc_lobby", SystemID: "sys_rc", Name: "Lobby"},
			{ID: "ag_rc_lab", SystemID: "sys_rc", Name: "Lab"},
		},
		Users: []seam.User{
			{ID: "u_ann", SystemID: "sys_ht", FullName: "Ann Lee", EmailAddress: "ann@x.com", PhoneNumber: "+1 (555) 010-0001", UserIdentityID: "ui_ann", UserIdentityEmailAddress: "ann@x.com"},
			{ID: "u_bob", SystemID: "sys_ht", FullName: "Bob Ray", EmailAddress: "bob@x.com"},
			{ID: "u_cat", SystemID: "sys_ht", FullName: "Cat Orr", Email: "Cat@X.com"},
			{ID: "u_dan", SystemID: "sys_ht", FullName: "Dan Poe", PhoneNumber: "555-0104"},
			{ID: "u_eve1", SystemID: "sys_ht", FullName: "Eve One", EmailAddress: "eve@x.com"},
			{ID: "u_eve2", SystemID: "sys_ht", FullName: "Eve Two", EmailAddress: "EVE@x.com"},
			{ID: "u_fay", SystemID: "sys_ht", DisplayName: "Fay", UserIdentityID: "ui_fay", UserIdentityEmailAddress: "fay@x.com", UserIdentityFullName: "Fay Kim"},
			{ID: "u_ian", SystemID: "sys_ht", FullName: "Ian Roe", EmailAddress: "ian@x.com"},
			{ID: "u_rc_ann", SystemID: "sys_rc", FullName: "Ann Lee", EmailAddress: "ann@x.com", UserIdentityID: "ui_ann"},
			{ID: "u_rc_bob", SystemID: "sys_rc", FullName: "Bob Ray", EmailAddress: "bob@x.com"},
		},
		Identities: []seam.UserIdentity{
			{ID: "ui_ann", EmailAddress: "ann@x.com", FullName: "Ann Lee", AcsUserIDs: []string{"u_ann", "u_rc_ann"}},
			{ID: "ui_fay", EmailAddress: "fay@x.com", FullName: "Fay Kim", AcsUserIDs: []string{"u_fay"}},
			{ID: "ui_gus", EmailAddress: "gus@x.com", FullName: "Gus Day"},
			{ID: "ui_ian", EmailAddress: "ian@x.com", FullName: "Ian Roe"},
			{ID: "ui_jo", PhoneNumber: "+15550109", FullName: "Jo Fox"},
			{ID: "ui_kim1", EmailAddress: "kim@x.com", FullName: "Kim One"},
			{ID: "ui_kim2", EmailAddress: "Kim@x.com", FullName: "Kim Two"},
		},
		Members: map[string][]string{
			"ag_lobby":    {"u_ann", "u_bob", "u_eve1"},
			"ag_f2":       {"u_cat"},
			"ag_f3":       {"u_dan"},
			"ag_gym1":     {},
			"ag_gym2":     {},
			"ag_park":     {"u_ann"},
			"ag_rc_lobby": {"u_rc_ann"},
			"ag_rc_lab":   {"u_rc_bob", "u_gone"},
		},
	}
}

// row builds a desired row at line from column=value pairs.
func row(line int, kv ...string) desired.Row {
	r := desired.Row{File: csvFile, Line: line}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		switch kv[i] {
		case desired.ColumnSystemID:
			r.SystemID = v
		case desired.ColumnSystemName:
			r.SystemName = v
		case desired.ColumnAcsUserID:
			r.AcsUserID = v
		case desired.ColumnIdentityID:
			r.UserIdentityID = v
		case desired.ColumnEmail:
			r.Email = v
		case desired.ColumnPhone:
			r.Phone = v
		case desired.ColumnGroupID:
			r.GroupID = v
		case desired.ColumnGroupName:
			r.GroupName = v
		case "full_name":
			r.FullName = v
		default:
			panic("unknown column " + kv[i])
		}
	}
	return r
}
