package desired

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readWith reads in as "in.csv" with opts and returns the File and its
// problems' messages (errors, then warnings), as Error() prints them.
func readWith(t *testing.T, in string, opts Options) (f *File, errs, warns []string) {
	t.Helper()
	f, err := Read(name, strings.NewReader(in), opts)
	if f == nil {
		t.Fatalf("Read returned no File: %v", err)
	}
	if err != nil {
		var es *Errors
		if !errors.As(err, &es) {
			t.Fatalf("error %v (%T) is not *Errors", err, err)
		}
		for _, p := range es.Problems {
			errs = append(errs, p.Error())
		}
	}
	for _, w := range f.Warnings {
		warns = append(warns, w.Error())
	}
	return f, errs, warns
}

func TestColumnMapping(t *testing.T) {
	hr := map[string]string{ColumnEmail: "Work Email", ColumnFullName: "Name", ColumnGroupName: "Badge Group"}
	tests := []struct {
		name        string
		in          string
		opts        Options
		rows        []Row
		errs, warns []string
	}{
		{
			name: "mapped columns are read under our names",
			in:   "Name,Work Email,Badge Group,Dept\nAnn Lee,ann@x.com,Lobby,Sales\n",
			opts: Options{Columns: hr},
			rows: []Row{{File: name, Line: 2, FullName: "Ann Lee", Email: "ann@x.com", GroupName: "Lobby"}},
			warns: []string{
				"in.csv:1: column dept: ignored: not a known column",
			},
		},
		{
			name: "a problem in a mapped column names it as the file spells it, then ours",
			in:   "Name,Work Email,Badge Group\nAnn,ann.x.com,Lobby\nBob,bob@x.com,\n",
			opts: Options{Columns: hr},
			rows: nil,
			errs: []string{
				`in.csv:2: column "Work Email" (email): malformed email "ann.x.com": no @`,
				`in.csv:3: no group: fill access_group`,
			},
		},
		{
			name: "a column of the file with the name of one we map from another is ignored",
			in:   "email,work email,access_group\nann@home.example,ann@x.com,Lobby\n",
			opts: Options{Columns: map[string]string{ColumnEmail: "work email"}},
			rows: []Row{{File: name, Line: 2, Email: "ann@x.com", GroupName: "Lobby"}},
			warns: []string{
				`in.csv:1: column email: ignored: email is read from column "work email" (mapped)`,
			},
		},
		{
			name: "a mapped column the header lacks is an error with the closest names",
			in:   "Name,Work E-mail,access_group\nAnn,ann@x.com,Lobby\n",
			opts: Options{Columns: map[string]string{ColumnEmail: "Work Email"}},
			errs: []string{
				`in.csv:1: column "Work Email" (email): not in the header: the column mapping names a column the file does not have; did you mean "Work E-mail"?`,
				`in.csv:1: no user column: the header needs one of acs_user_id, user_identity_id, email, phone_number`,
			},
			warns: []string{
				"in.csv:1: column name: ignored: not a known column",
				"in.csv:1: column work e-mail: ignored: not a known column",
			},
			rows: []Row{{File: name, Line: 2, GroupName: "Lobby"}}, // for context
		},
		{
			name: "an unmapped column that looks like one of ours still gets did you mean",
			in:   "Name,Emial,access_group\nAnn,ann@x.com,Lobby\n",
			opts: Options{Columns: map[string]string{ColumnFullName: "Name"}},
			errs: []string{
				"in.csv:1: column emial: unknown column: did you mean email?",
				"in.csv:1: no user column: the header needs one of acs_user_id, user_identity_id, email, phone_number",
			},
			rows: []Row{{File: name, Line: 2, GroupName: "Lobby", FullName: "Ann"}},
		},
		{
			name: "one column of the file read as two of ours: the system and a condition",
			in:   "Site,email,access_group\nHarbor Tower,ann@x.com,Lobby\n",
			opts: Options{Columns: map[string]string{ColumnSystemName: "Site", "location": "Site"}, Attributes: []string{"location"}},
			rows: []Row{{File: name, Line: 2, SystemName: "Harbor Tower", Email: "ann@x.com", GroupName: "Lobby"}},
		},
		{
			name: "a semicolon file with mapped names only is detected as semicolon-separated",
			in:   "Work Email;Badge Group\nann@x.com;Lobby\n",
			opts: Options{Columns: map[string]string{ColumnEmail: "Work Email", ColumnGroupName: "Badge Group"}},
			rows: []Row{{File: name, Line: 2, Email: "ann@x.com", GroupName: "Lobby"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, errs, warns := readWith(t, tt.in, tt.opts)
			if diff := cmp.Diff(tt.errs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warns, warns); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.rows, f.Rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestColumnMappingSpellings(t *testing.T) {
	f, err := Read(name, strings.NewReader("Site,Work Email,access_group\nHT,ann@x.com,Lobby\n"),
		Options{Columns: map[string]string{ColumnSystemName: "site", ColumnEmail: "Work Email", "location": "Site"}, Attributes: []string{"location"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ColumnSystemName: "Site", ColumnEmail: "Work Email", "location": "Site"}
	if diff := cmp.Diff(want, f.HeaderSpellings()); diff != "" {
		t.Errorf("spellings (-want +got):\n%s", diff)
	}
	if !f.HasColumn(ColumnEmail) || !f.HasColumn("location") || f.HasColumn(ColumnPhone) || f.HasColumn("work email") {
		t.Errorf("HasColumn is wrong: %v", f.has)
	}
	if diff := cmp.Diff([][]string{{"HT"}}, f.Attrs); diff != "" {
		t.Errorf("attrs (-want +got):\n%s", diff)
	}
}

func TestCheckColumns(t *testing.T) {
	tests := []struct {
		columns map[string]string
		attrs   []string
		want    string
	}{
		{map[string]string{"email": "Work Email", "Department": "Dept"}, []string{"department"}, ""},
		{map[string]string{"emial": "Work Email"}, nil, `invalid column mapping "emial=Work Email": emial is neither a column acs-bulk reads (acs_system_id, acs_system, acs_user_id, user_identity_id, email, phone_number, acs_access_group_id, access_group, access_groups, full_name) nor a condition of the access rules; did you mean email?`},
		{map[string]string{"departmnt": "Dept"}, []string{"department"}, "did you mean department?"},
		{map[string]string{"email": " "}, nil, `invalid column mapping "email= ": no column of the file after =`},
		{map[string]string{"email": "Contact", "phone_number": "contact"}, nil, `email and phone_number would both read column "contact"`},
		{map[string]string{"acs_system": "Site", "location": "Site"}, []string{"location"}, ""},
	}
	for _, tt := range tests {
		err := CheckColumns(tt.columns, tt.attrs)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckColumns(%v) = %v, want nil", tt.columns, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalidColumn)):
			t.Errorf("CheckColumns(%v) = %v, want an ErrInvalidColumn containing %q", tt.columns, err, tt.want)
		}
	}
	if _, err := Read(name, strings.NewReader("email,access_group\n"), Options{Columns: map[string]string{"mail": "x"}}); !errors.Is(err, ErrInvalidColumn) {
		t.Errorf("Read with a bad mapping: %v, want ErrInvalidColumn", err)
	}
}

func TestGroupListColumn(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		opts        Options
		lists       []string
		groups      [][]string
		errs, warns []string
	}{
		{
			name:   "names separated by semicolons, trimmed, empty ones and repeats left out",
			in:     "email,access_groups\nann@x.com,Lobby; Floor 2 ;;Lobby;\nbob@x.com,\ncat@x.com,\"Gym\"\n",
			lists:  []string{"Lobby; Floor 2 ;;Lobby;", "", "Gym"},
			groups: [][]string{{"Lobby", "Floor 2"}, nil, {"Gym"}},
		},
		{
			name:   "a mapped list column with another separator",
			in:     "email,Badges\nann@x.com,Lobby|Floor 2\n",
			opts:   Options{Columns: map[string]string{ColumnGroupList: "Badges"}, ListSeparator: '|'},
			lists:  []string{"Lobby|Floor 2"},
			groups: [][]string{{"Lobby", "Floor 2"}},
		},
		{
			name: "a semicolon-separated file needs another list separator",
			in:   "email;access_groups\nann@x.com;Lobby\n",
			errs: []string{"in.csv:1: column access_groups: the file is semicolon-separated, so ';' cannot also separate the groups of a cell: pass another --list-separator (such as |)"},
		},
		{
			name:   "and reads with one",
			in:     "email;access_groups\nann@x.com;Lobby|Gym\n",
			opts:   Options{ListSeparator: '|'},
			lists:  []string{"Lobby|Gym"},
			groups: [][]string{{"Lobby", "Gym"}},
		},
		{
			name: "a list column and a group column cannot be used together",
			in:   "email,access_group,access_groups\nann@x.com,Lobby,Gym\n",
			errs: []string{"in.csv:1: column access_groups: a file gives its groups either in access_groups or in access_group, not in both"},
		},
		{
			name: "a bad group name in a list is refused with the column",
			in:   "email,access_groups\nann@x.com,Lobby;Gy\x00m\n",
			errs: []string{`in.csv:2: column access_groups: group "Gy\x00m" contains the control character U+0000 '\x00'`},
		},
		{
			name: "a file with neither needs its groups from elsewhere",
			in:   "email\nann@x.com\n",
			errs: []string{"in.csv:1: no group column: the header needs one of acs_access_group_id, access_group or access_groups"},
		},
		{
			name: "which GroupsOptional says",
			in:   "email,access_group\nann@x.com\n",
			opts: Options{GroupsOptional: true},
			errs: []string{"in.csv:2: wrong number of fields: 1, the header has 2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, errs, warns := readWith(t, tt.in, tt.opts)
			if diff := cmp.Diff(tt.errs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warns, warns); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if tt.errs != nil {
				return
			}
			if diff := cmp.Diff(tt.lists, f.Lists); diff != "" {
				t.Errorf("lists (-want +got):\n%s", diff)
			}
			var groups [][]string
			for i := range f.Rows {
				groups = append(groups, f.ListedGroups(i))
			}
			if diff := cmp.Diff(tt.groups, groups); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Read(name, strings.NewReader("email,access_groups\n"), Options{Delimiter: ';', ListSeparator: ';'}); !errors.Is(err, ErrInvalidListSeparator) {
		t.Errorf("a list separator equal to the delimiter: %v, want ErrInvalidListSeparator", err)
	}
	if _, err := Read(name, strings.NewReader("email,access_groups\n"), Options{ListSeparator: ' '}); !errors.Is(err, ErrInvalidListSeparator) {
		t.Errorf("a space as list separator: %v, want ErrInvalidListSeparator", err)
	}
}

func TestAttributes(t *testing.T) {
	in := "email,Dept,location,notes\n" +
		"ann@x.com,Sales,Harbor Tower,a\n" +
		"bob@x.com,,Harbor Tower,b\n" +
		"ann@x.com,Sales,Harbor Tower,c\n" + // a duplicate of line 2: notes are not read
		"ann@x.com,Engineering,Harbor Tower,d\n" // not a duplicate: the department differs
	f, errs, warns := readWith(t, in, Options{
		Attributes: []string{"department", "Location", "badge"}, Columns: map[string]string{"department": "Dept"}, GroupsOptional: true,
	})
	if errs != nil {
		t.Fatalf("errors: %v", errs)
	}
	wantWarns := []string{
		"in.csv:1: column notes: ignored: not a known column",
		"in.csv:4: duplicate of line 2: kept once",
	}
	if diff := cmp.Diff(wantWarns, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	var lines []int
	for _, r := range f.Rows {
		lines = append(lines, r.Line)
	}
	if diff := cmp.Diff([]int{2, 3, 5}, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	want := [][]string{{"Sales", "", "Engineering"}, {"Harbor Tower", "Harbor Tower", "Harbor Tower"}, nil}
	if diff := cmp.Diff(want, f.Attrs); diff != "" {
		t.Errorf("attrs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"badge"}, f.Missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"department", "location", "badge"}, f.Attributes); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	// An attribute may be a known column: its value is the column's.
	f, errs, _ = readWith(t, "email,full_name,access_group\nann@x.com,Ann,Lobby\n", Options{Attributes: []string{"full_name"}})
	if errs != nil || len(f.Attrs) != 1 || f.Attrs[0][0] != "Ann" || f.Rows[0].FullName != "Ann" {
		t.Errorf("a known column as attribute: errs %v, attrs %v, rows %+v", errs, f.Attrs, f.Rows)
	}
	if _, err := Read(name, strings.NewReader("email\n"), Options{Attributes: strings.Split("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", ",")}); err == nil || !strings.Contains(err.Error(), "at most 16") {
		t.Errorf("17 attributes: %v", err)
	}
}

func TestReadTable(t *testing.T) {
	in := "\xEF\xBB\xBFdepartment;Access_Group\n" +
		"Sales;Lobby\n" +
		";\n" +
		"Sa\x1bles;\"Floor\n2\"\n" +
		"\"bad;Gym\n"
	tb, err := ReadTable("rules.csv", strings.NewReader(in), TableOptions{Known: func(n string) bool { return n == "access_group" }})
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want *Errors", err)
	}
	var got []string
	for _, p := range errs.Problems {
		got = append(got, p.Error())
	}
	want := []string{
		`rules.csv:4: column department: value "Sa\x1bles" contains the control character U+001B '\x1b'`,
		`rules.csv:4: column access_group: value "Floor\n2" contains the control character U+000A '\n'`,
		`rules.csv:6: unbalanced quote: extraneous or missing " in a quoted field starting on this line (found at line 6, byte 10)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if tb.Delimiter != ';' || !tb.DelimiterDetected || tb.HeaderLine != 1 {
		t.Errorf("delimiter %q detected %v, header line %d", tb.Delimiter, tb.DelimiterDetected, tb.HeaderLine)
	}
	if diff := cmp.Diff([]string{"department", "access_group"}, tb.Columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"department", "Access_Group"}, tb.Header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	wantRecs := []Record{{Line: 2, Values: []string{"Sales", "Lobby"}}, {Line: 4, Values: []string{"Sa\x1bles", "Floor\n2"}}}
	if diff := cmp.Diff(wantRecs, tb.Records); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(tb.Warnings) != 1 || tb.Warnings[0].Error() != "rules.csv:3: an empty row: skipped" {
		t.Errorf("warnings = %v", tb.Warnings)
	}
	if _, err := ReadTable("e.csv", strings.NewReader(""), TableOptions{}); err == nil || !strings.Contains(err.Error(), "e.csv:1: empty file: no header row") {
		t.Errorf("empty table: %v", err)
	}
}
