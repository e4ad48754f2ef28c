package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/plan"
)

func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var es *desired.Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v (%T) is not *desired.Errors", err, err)
	}
	var out []string
	for _, p := range es.Problems {
		out = append(out, p.Error())
	}
	return out
}

func TestReadRules(t *testing.T) {
	in := "Department, location ,access_group,acs_system\n" +
		"Sales,Harbor Tower,Floor 2,Harbor Tower\n" +
		"*,Harbor Tower,Lobby,\n" +
		",*,Gym,\n"
	s, err := Read("rules.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Set{
		Name: "rules.csv", SHA256: s.SHA256, Conditions: []string{"department", "location"}, headerLine: 1,
		Rules: []Rule{
			{Line: 2, SystemName: "Harbor Tower", GroupName: "Floor 2", Values: []string{"Sales", "Harbor Tower"}},
			{Line: 3, GroupName: "Lobby", Values: []string{"*", "Harbor Tower"}},
			{Line: 4, GroupName: "Gym", Values: []string{"", "*"}},
		},
	}
	if diff := cmp.Diff(want, s, cmp.AllowUnexported(Set{})); diff != "" {
		t.Errorf("set (-want +got):\n%s", diff)
	}
	if got := []string{s.conditions(&s.Rules[0]), s.conditions(&s.Rules[1]), s.conditions(&s.Rules[2])}; !cmp.Equal(got, []string{
		"department=Sales location=Harbor Tower", "location=Harbor Tower", `department=""`,
	}) {
		t.Errorf("conditions = %q", got)
	}
}

// TestReadRulesProblems: every problem of a rules file at once, each with
// its line and column.
func TestReadRulesProblems(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"no group column", "department,acs_system\nSales,Harbor Tower\n", []string{
			"rules.csv:1: no group column: a rules file needs access_group or acs_access_group_id to say which group each rule gives",
		}},
		{"a target column misspelt", "department,acces_group\nSales,Lobby\n", []string{
			"rules.csv:1: column acces_group: unknown column: did you mean access_group? (every other column is a condition on the export's column of that name)",
			"rules.csv:1: no group column: a rules file needs access_group or acs_access_group_id to say which group each rule gives",
		}},
		{"a list of groups", "department,access_groups,access_group\nSales,a;b,Lobby\n", []string{
			"rules.csv:1: column access_groups: a rule gives one group: name it in access_group (or acs_access_group_id), one rule a line",
		}},
		{"a condition twice", "dept,Dept,access_group\nSales,Sales,Lobby\n", []string{
			"rules.csv:1: column dept: duplicate column: columns 1 and 2 have the same name",
		}},
		{"empty targets, duplicates, bad values, syntax", "department,location,access_group,acs_access_group_id\n" +
			"Sales,Harbor Tower,Lobby,\n" +
			"Sales,*,,\n" +
			"sales,HARBOR TOWER,Lobby,\n" +
			"Ops,Harbor Tower,Lo\x00bby,\n" +
			"Ops,Harbor Tower,Gym\n" +
			"Ops,Harbor Tower,,ag_gym\n", []string{
			"rules.csv:3: no group: fill access_group or acs_access_group_id",
			"rules.csv:4: duplicate rule: line 2 has the same conditions and group",
			`rules.csv:5: column access_group: value "Lo\x00bby" contains the control character U+0000 '\x00'`,
			"rules.csv:6: wrong number of fields: 3, the header has 4",
		}},
		{"too many conditions", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,access_group\n" + strings.Repeat("x,", 17) + "Lobby\n", []string{
			"rules.csv:1: 17 condition columns: a rules file may have at most 16",
		}},
		{"empty", "", []string{"rules.csv:1: empty file: no header row"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read("rules.csv", strings.NewReader(tt.in))
			if diff := cmp.Diff(tt.want, problemsOf(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	s, err := Read("rules.csv", strings.NewReader("department,access_group\n"))
	if err != nil || len(s.Warnings) != 1 || s.Warnings[0].Error() != "rules.csv:1: the rules file has a header but no rules: nobody gets a group from it" {
		t.Errorf("a rules file without rules: %v, warnings %v", err, s.Warnings)
	}
}

// export reads an HR export for s.
func export(t *testing.T, name, in string, s *Set, columns map[string]string) *desired.File {
	t.Helper()
	opts := desired.Options{Columns: columns, GroupsOptional: s != nil}
	if s != nil {
		opts.Attributes = s.Conditions
	}
	f, err := desired.Read(name, strings.NewReader(in), opts)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return f
}

func TestCheck(t *testing.T) {
	s, err := Read("rules.csv", strings.NewReader("department,location,access_group\nSales,*,Lobby\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := export(t, "a.csv", "Work Email,Dept,Location\nann@x.com,Sales,HT\n", s, map[string]string{"email": "Work Email"})
	b := export(t, "b.csv", "email,department,site\nbob@x.com,Sales,RC\n", s, nil)
	want := []string{
		`rules.csv:1: column department: condition column department is not in a.csv (its other columns: "Dept"; --column department=NAME reads one of them as department)`,
		`rules.csv:1: column location: condition column location is not in b.csv (its other columns: "site"; --column location=NAME reads one of them as location)`,
	}
	if diff := cmp.Diff(want, problemsOf(t, s.Check([]*desired.File{a, b}))); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	a = export(t, "a.csv", "Work Email,Dept,Location\nann@x.com,Sales,HT\n", s, map[string]string{"email": "Work Email", "department": "Dept"})
	if err := s.Check([]*desired.File{a}); err != nil {
		t.Errorf("with the mapping: %v", err)
	}
}

func TestExpand(t *testing.T) {
	s, err := Read("rules.csv", strings.NewReader("department,location,access_group,acs_system,acs_access_group_id\n"+
		"Sales,Harbor Tower,Floor 2,Harbor Tower,\n"+ // 1
		"*,harbor tower,Lobby,,\n"+ // 2: any department, the case of the site aside
		",*,Visitors,,\n"+ // 3: no department
		"Engineering,*,,,ag_lab\n"+ // 4: by id
		"Slaes,*,Floor 9,,\n")) // 5: a typo, matches nobody
	if err != nil {
		t.Fatal(err)
	}
	hr := export(t, "hr.csv", "email,Dept,Site,access_groups,full_name\n"+
		"ann@x.com,Sales,Harbor Tower,Gym,Ann\n"+ // rules 1 and 2, and Gym
		"bob@x.com,Engineering,Riverside,,Bob\n"+ // rule 4 only
		"cat@x.com,,HARBOR TOWER,,Cat\n"+ // rules 2 and 3
		"dan@x.com,Ops,Riverside,,Dan\n", // no rule, no list: no group
		s, map[string]string{"department": "Dept", "location": "Site", "acs_system": "Site"})
	in := Expand([]*desired.File{hr}, s)
	type m struct {
		line                                     int
		systemID, system, groupID, group, origin string
	}
	var got []m
	for i, r := range in.Rows {
		o := ""
		if in.Origins[i] > 0 {
			o = in.Rules[in.Origins[i]-1].Label()
		}
		got = append(got, m{r.Line, r.SystemID, r.SystemName, r.GroupID, r.GroupName, o})
	}
	want := []m{
		{2, "", "Harbor Tower", "", "Gym", ""},
		{2, "", "Harbor Tower", "", "Floor 2", "rules.csv:2 department=Sales location=Harbor Tower"},
		{2, "", "Harbor Tower", "", "Lobby", "rules.csv:3 location=harbor tower"},
		{3, "", "", "ag_lab", "", "rules.csv:5 department=Engineering"},
		{4, "", "HARBOR TOWER", "", "Lobby", "rules.csv:3 location=harbor tower"},
		{4, "", "HARBOR TOWER", "", "Visitors", `rules.csv:4 department=""`},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(m{})); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}
	if len(in.Groupless) != 1 || in.Groupless[0].Email != "dan@x.com" || in.Groupless[0].Line != 5 {
		t.Errorf("groupless = %+v", in.Groupless)
	}
	wantRules := []plan.Rule{
		{File: "rules.csv", Line: 2, Conditions: "department=Sales location=Harbor Tower", SystemName: "Harbor Tower", GroupName: "Floor 2", People: 1},
		{File: "rules.csv", Line: 3, Conditions: "location=harbor tower", GroupName: "Lobby", People: 2},
		{File: "rules.csv", Line: 4, Conditions: `department=""`, GroupName: "Visitors", People: 1},
		{File: "rules.csv", Line: 5, Conditions: "department=Engineering", GroupID: "ag_lab", People: 1},
		{File: "rules.csv", Line: 6, Conditions: "department=Slaes", GroupName: "Floor 9", Hint: `no row has department "Slaes"; did you mean "Sales"?`},
	}
	if diff := cmp.Diff(wantRules, in.Rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if !in.WithRules || in.Headers["hr.csv"]["department"] != "Dept" || in.Headers["hr.csv"]["acs_system"] != "Site" {
		t.Errorf("with rules %v, headers %v", in.WithRules, in.Headers)
	}
}

func TestExpandSeveralFilesAndNoRules(t *testing.T) {
	// Without rules: the lists of two files, in order; the origins are nil.
	a := export(t, "a.csv", "email,access_groups\nann@x.com,Lobby;Gym\nbob@x.com,\n", nil, nil)
	b := export(t, "b.csv", "email,access_group\nann@x.com,Floor 2\n", nil, nil)
	in := Expand([]*desired.File{a, b}, nil)
	var got []string
	for _, r := range in.Rows {
		got = append(got, r.File+":"+r.Email+":"+r.GroupName)
	}
	if diff := cmp.Diff([]string{"a.csv:ann@x.com:Lobby", "a.csv:ann@x.com:Gym", "b.csv:ann@x.com:Floor 2"}, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if !cmp.Equal(in.Origins, []int32{plan.OriginList, plan.OriginList, 0}) || in.WithRules || !in.WithLists || len(in.Groupless) != 1 || in.Groupless[0].Email != "bob@x.com" {
		t.Errorf("origins %v, with rules %v, groupless %+v", in.Origins, in.WithRules, in.Groupless)
	}
	// One file of memberships: its rows as they are.
	in = Expand([]*desired.File{b}, nil)
	if &in.Rows[0] != &b.Rows[0] {
		t.Error("the rows of one file of memberships were copied")
	}
}

func TestHintForACombinationNobodyHas(t *testing.T) {
	s, err := Read("rules.csv", strings.NewReader("department,location,access_group\nSales,Riverside,Lab\n"))
	if err != nil {
		t.Fatal(err)
	}
	hr := export(t, "hr.csv", "email,department,location\nann@x.com,Sales,Harbor\nbob@x.com,Ops,Riverside\n", s, nil)
	in := Expand([]*desired.File{hr}, s)
	if got := in.Rules[0].Hint; got != "no row has all of its values at once" {
		t.Errorf("hint = %q", got)
	}
}
