package desired

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unsafe"

	"github.com/acs-bulk/acs-bulk/internal/email"
	"github.com/google/go-cmp/cmp"
)

// prob is an expected problem: its line, column and a substring of its
// message.
type prob struct {
	line int
	col  string
	msg  string
}

const name = "in.csv"

// r builds an expected row of the file "in.csv".
func r(line int, set func(*Row)) Row {
	row := Row{File: name, Line: line}
	set(&row)
	return row
}

type readCase struct {
	name    string
	in      string
	rows    []Row
	errs    []prob
	warns   []prob
	columns []string // checked when not nil
	ignored []string
	delim   rune   // the delimiter File reports, checked when not 0
	enc     string // the encoding File reports, checked when not ""
}

// utf16Of encodes s as UTF-16 with a byte order mark.
func utf16Of(s string, bigEndian bool) string {
	var b []byte
	for _, u := range append([]uint16{0xFEFF}, utf16.Encode([]rune(s))...) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

var readCases = []readCase{
	{
		name: "plain LF file",
		in:   "acs_system_id,email,access_group,full_name\nsys1,ann@example.com,Lobby,Ann Lee\nsys1,bob@example.com,Floor 2,Bob\n",
		rows: []Row{
			r(2, func(r *Row) {
				r.SystemID, r.Email, r.GroupName, r.FullName = "sys1", "ann@example.com", "Lobby", "Ann Lee"
			}),
			r(3, func(r *Row) {
				r.SystemID, r.Email, r.GroupName, r.FullName = "sys1", "bob@example.com", "Floor 2", "Bob"
			}),
		},
		columns: []string{"acs_system_id", "email", "access_group", "full_name"},
	},
	{
		name: "every known column is mapped to its field",
		in: "acs_system_id,acs_system,acs_user_id,user_identity_id,email,phone_number,acs_access_group_id,access_group,full_name\n" +
			"s1,Harbor Tower,u1,id1,Ann@Example.com,+15550100,g1,Lobby,Ann Lee\n",
		rows: []Row{r(2, func(r *Row) {
			*r = Row{File: name, Line: 2, SystemID: "s1", SystemName: "Harbor Tower", AcsUserID: "u1", UserIdentityID: "id1",
				Email: "Ann@Example.com", Phone: "+15550100", GroupID: "g1", GroupName: "Lobby", FullName: "Ann Lee"}
		})},
	},
	{
		name: "BOM and CRLF are accepted",
		in:   "\xEF\xBB\xBFemail,access_group\r\nann@example.com,Lobby\r\nbob@example.com,Lobby\r\n",
		rows: []Row{
			r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" }),
			r(3, func(r *Row) { r.Email, r.GroupName = "bob@example.com", "Lobby" }),
		},
		columns: []string{"email", "access_group"},
	},
	{
		name: "no final newline",
		in:   "email,access_group\nann@example.com,Lobby",
		rows: []Row{r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" })},
	},
	{
		name: "quoted multi-line field keeps later line numbers right",
		in: "email,access_group,full_name\n" +
			"ann@example.com,Lobby,\"Ann\nLee\"\n" + // lines 2-3
			"bob@example.com,\"Floor, 2\",\"Bob \"\"B\"\" Ray\"\n" + // line 4
			"not-an-email,Lobby,\"C\r\n\r\nD\"\n" + // lines 5-7
			"dan@example.com,Lobby,Dan\n", // line 8
		rows: []Row{
			r(2, func(r *Row) { r.Email, r.GroupName, r.FullName = "ann@example.com", "Lobby", "Ann\nLee" }),
			r(4, func(r *Row) { r.Email, r.GroupName, r.FullName = "bob@example.com", "Floor, 2", `Bob "B" Ray` }),
			r(8, func(r *Row) { r.Email, r.GroupName, r.FullName = "dan@example.com", "Lobby", "Dan" }),
		},
		errs: []prob{{5, "email", `malformed email "not-an-email": no @`}},
	},
	{
		name:    "header case and spaces are normalized, values trimmed",
		in:      " EMAIL ,Access_Group\t, Full_Name\n  ann@Example.com  , \"  Lobby \",  Ann  \n",
		rows:    []Row{r(2, func(r *Row) { r.Email, r.GroupName, r.FullName = "ann@Example.com", "Lobby", "Ann" })},
		columns: []string{"email", "access_group", "full_name"},
	},
	{
		name:    "zero-width characters around header names are dropped",
		in:      "\u200Bemail\u200D,access_group\uFEFF\nann@example.com,Lobby\n",
		rows:    []Row{r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" })},
		columns: []string{"email", "access_group"},
	},
	{
		name:  "semicolon-separated file is detected from the header",
		in:    "acs_system;access_group;email;full_name\nHarbor Tower;Lobby;ann@example.com;\"Lee; Ann\"\nHarbor Tower;Floor 2,3;bob@example.com;Bob, Jr\n",
		delim: ';',
		rows: []Row{
			r(2, func(r *Row) {
				r.SystemName, r.GroupName, r.Email, r.FullName = "Harbor Tower", "Lobby", "ann@example.com", "Lee; Ann"
			}),
			r(3, func(r *Row) {
				r.SystemName, r.GroupName, r.Email, r.FullName = "Harbor Tower", "Floor 2,3", "bob@example.com", "Bob, Jr"
			}),
		},
	},
	{
		name:  "tab-separated file keeps its empty fields",
		in:    "email\taccess_group\tfull_name\tdepartment\nann@example.com\tLobby\t\tSales\n\t\t\t\nbob@example.com\t\"Floor 2\"\tBob\t\n",
		delim: '\t',
		rows: []Row{
			r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" }),
			r(4, func(r *Row) { r.Email, r.GroupName, r.FullName = "bob@example.com", "Floor 2", "Bob" }),
		},
		warns: []prob{
			{1, "department", "ignored"},
			{3, "", "no value in any known column: row skipped"},
		},
		ignored: []string{"department"},
	},
	{
		name:  "pipe-separated file",
		in:    "email|access_group\nann@example.com|Lobby\n",
		delim: '|',
		rows:  []Row{r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" })},
	},
	{
		name:    "a comma header with other separators inside names stays comma",
		in:      "email,access_group,\"notes; misc\",team|site,a\tb\nann@example.com,Lobby,x,y,z\n",
		delim:   ',',
		rows:    []Row{r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" })},
		warns:   []prob{{1, "notes; misc", "ignored"}, {1, "team|site", "ignored"}, {1, "a\tb", "ignored"}},
		ignored: []string{"notes; misc", "team|site", "a\tb"},
	},
	{
		name:    "a tie goes to comma",
		in:      "acs_system;access_group,email\nA;B,ann@example.com\n",
		delim:   ',',
		errs:    []prob{{1, "", "no group column"}},
		rows:    []Row{r(2, func(r *Row) { r.Email = "ann@example.com" })},
		warns:   []prob{{1, "acs_system;access_group", "ignored"}},
		ignored: []string{"acs_system;access_group"},
	},
	{
		name:    "no delimiter makes a known column: read as comma, and the error says so",
		in:      "name;group\nAnn;Lobby\n",
		delim:   ',',
		errs:    []prob{{1, "", "the header names no known column (is the first line a header?): known columns are acs_system_id, acs_system, acs_user_id, user_identity_id, email, phone_number, acs_access_group_id, access_group, access_groups, full_name; the file was read as comma-separated (pass --delimiter to choose the separator, or --column to read its columns as ours)"}},
		warns:   []prob{{1, "name;group", "ignored"}},
		ignored: []string{"name;group"},
	},
	{
		name:  "UTF-16LE with a byte order mark",
		in:    utf16Of("email;access_group;full_name\r\nzoë@example.com;Lobby;Zoë Orr\r\n", false),
		delim: ';',
		enc:   "UTF-16LE",
		rows:  []Row{r(2, func(r *Row) { r.Email, r.GroupName, r.FullName = "zoë@example.com", "Lobby", "Zoë Orr" })},
	},
	{
		name: "UTF-16BE with a byte order mark",
		in:   utf16Of("email\taccess_group\nann@example.com\tLobby\n", true),
		enc:  "UTF-16BE",
		rows: []Row{r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" })},
	},
	{
		name: "UTF-16 without a byte order mark is refused by name",
		in:   utf16Of("email,access_group\nann@example.com,Lobby\n", false)[2:],
		errs: []prob{{1, "", "the first line holds NUL bytes: is the file UTF-16 or UTF-32 without a byte order mark? Save it as UTF-8"}},
	},
	{
		name: "UTF-32 is refused by name",
		in:   "\xFF\xFE\x00\x00e\x00\x00\x00",
		errs: []prob{{1, "", "the file is UTF-32: save it as UTF-8 (or UTF-16)"}},
	},
	{
		name: "unclosed quote in the header",
		in:   "\"email,access_group\nann@example.com,Lobby\n",
		errs: []prob{{1, "", `unbalanced quote: extraneous or missing " in a quoted field starting on this line (found at line 2, byte 23)`}},
	},
	{
		name: "bare quote in the header",
		in:   "em\"ail,access_group\nann@example.com,Lobby\n",
		errs: []prob{{1, "", `unbalanced quote: " inside a field that is not quoted (line 1, byte 3)`}},
	},
	{
		name: "header after blank lines is found on its line",
		in:   "\n\nemail,access_group\n\nann@example.com,Lobby\n",
		rows: []Row{r(5, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" })},
	},
	{
		name: "extra columns are ignored and reported once",
		in:   "department,email,access_group,Department,site\nSales,ann@example.com,Lobby,x,A\nIT,bob@example.com,Lobby,y,B\n",
		rows: []Row{
			r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" }),
			r(3, func(r *Row) { r.Email, r.GroupName = "bob@example.com", "Lobby" }),
		},
		warns: []prob{
			{1, "department", "ignored: not a known column"},
			{1, "site", "ignored: not a known column"},
		},
		ignored: []string{"department", "site"},
	},
	{
		name:  "unnamed column is ignored with a warning",
		in:    "email,access_group,\nann@example.com,Lobby,x\n",
		rows:  []Row{r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" })},
		warns: []prob{{1, "", "header column 3 has no name"}},
	},
	{
		name: "missing user column",
		in:   "access_group,full_name\nLobby,Ann\n",
		errs: []prob{{1, "", "no user column: the header needs one of acs_user_id, user_identity_id, email, phone_number"}},
		rows: []Row{r(2, func(r *Row) { r.GroupName, r.FullName = "Lobby", "Ann" })},
	},
	{
		name: "missing group column",
		in:   "email,full_name\nann@example.com,Ann\n",
		errs: []prob{{1, "", "no group column: the header needs one of acs_access_group_id, access_group"}},
		rows: []Row{r(2, func(r *Row) { r.Email, r.FullName = "ann@example.com", "Ann" })},
	},
	{
		name:    "header with no known column",
		in:      "ann@example.com,Lobby\nbob@example.com,Lobby\n",
		errs:    []prob{{1, "", "the header names no known column (is the first line a header?)"}},
		warns:   []prob{{1, "ann@example.com", "ignored"}, {1, "lobby", "ignored"}},
		ignored: []string{"ann@example.com", "lobby"},
	},
	{
		name: "duplicate header column",
		in:   "email,access_group,Email\nann@example.com,Lobby,bob@example.com\n",
		errs: []prob{{1, "email", "duplicate column: columns 1 and 3 have the same name"}},
		rows: []Row{r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" })},
	},
	{
		name: "typo in a header gets a hint",
		in:   "emial,acces_group,phone_number\nann@example.com,Lobby,+1555\n",
		errs: []prob{
			{1, "emial", "unknown column: did you mean email?"},
			{1, "acces_group", "unknown column: did you mean access_group?"},
			{1, "", "no group column"},
		},
		rows: []Row{r(2, func(r *Row) { r.Phone = "+1555" })},
	},
	{
		name:    "near name of a column that is present is only ignored",
		in:      "email,emails,access_group\nann@example.com,a@x.org;b@x.org,Lobby\n",
		rows:    []Row{r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" })},
		warns:   []prob{{1, "emails", "ignored: not a known column (close to email, which is also present)"}},
		ignored: []string{"emails"},
	},
	{
		name: "empty file",
		in:   "",
		errs: []prob{{1, "", "empty file: no header row"}},
	},
	{
		name: "BOM only",
		in:   "\xEF\xBB\xBF",
		errs: []prob{{1, "", "empty file: no header row"}},
	},
	{
		name: "blank lines only",
		in:   "\r\n\n\n",
		errs: []prob{{1, "", "empty file: no header row"}},
	},
	{
		name:  "header and no rows is a warning, not an error",
		in:    "email,access_group\r\n",
		warns: []prob{{1, "", "the file has a header but no rows: plan and apply refuse it unless --allow-empty-groups"}},
	},
	{
		name: "header and only empty rows is a warning, not an error",
		in:   "email,access_group\n,\n \" \", \n",
		warns: []prob{
			{1, "", "the file has a header but only empty rows: plan and apply refuse it unless --allow-empty-groups"},
			{2, "", "no value in any known column: row skipped"},
			{3, "", "no value in any known column: row skipped"},
		},
	},
	{
		name: "empty rows between rows are skipped",
		in:   "email,access_group,department\nann@example.com,Lobby,\n,,\n",
		rows: []Row{r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" })},
		warns: []prob{
			{1, "department", "ignored"},
			{3, "", "no value in any known column: row skipped"},
		},
		ignored: []string{"department"},
	},
	{
		name: "wrong field count",
		in:   "email,access_group\nann@example.com\nbob@example.com,Lobby,x,y,z\n\"c@example.com\nx\",Lobby,\ndan@example.com,Lobby\n",
		errs: []prob{
			{2, "", "wrong number of fields: 1, the header has 2"},
			{3, "", "wrong number of fields: 5, the header has 2"},
			{4, "", "wrong number of fields: 3, the header has 2"},
		},
		rows: []Row{r(6, func(r *Row) { r.Email, r.GroupName = "dan@example.com", "Lobby" })},
	},
	{
		name: "bare quote in an unquoted field",
		in:   "email,access_group\nann@example.com,Lob\"by\nbob@example.com,Lobby\n",
		errs: []prob{{2, "", `unbalanced quote: " inside a field that is not quoted (line 2, byte 20)`}},
		rows: []Row{r(3, func(r *Row) { r.Email, r.GroupName = "bob@example.com", "Lobby" })},
	},
	{
		name: "text after a closing quote",
		in:   "email,access_group\nann@example.com,\"Lobby\"x\nbob@example.com,Lobby\n",
		errs: []prob{{2, "", `unbalanced quote: extraneous or missing " in a quoted field starting on this line (found at line 2`}},
		rows: []Row{r(3, func(r *Row) { r.Email, r.GroupName = "bob@example.com", "Lobby" })},
	},
	{
		name: "quote never closed swallows the rest",
		in:   "email,access_group\nann@example.com,Lobby\nbob@example.com,\"Lobby\ncat@example.com,Lobby\n",
		errs: []prob{{3, "", `unbalanced quote: extraneous or missing " in a quoted field starting on this line (found at line 4`}},
		rows: []Row{r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" })},
	},
	{
		name: "malformed emails",
		in: "email,access_group\n" +
			"ann.example.com,Lobby\n" +
			"ann@@example.com,Lobby\n" +
			"@example.com,Lobby\n" +
			"ann@,Lobby\n" +
			"Ann <ann@example.com>,Lobby\n" +
			"ann@localhost,Lobby\n" +
			"ann@example..com,Lobby\n" +
			".ann@example.com,Lobby\n" +
			"ann@ex ample.com,Lobby\n" +
			"ann;bob@example.com,Lobby\n" +
			"ann+tag@sub.example.co.uk,Lobby\n",
		errs: []prob{
			{2, "email", "no @"},
			{3, "email", "more than one @"},
			{4, "email", "nothing before @"},
			{5, "email", "nothing after @"},
			{6, "email", "contains white space"},
			{7, "email", "domain has no dot"},
			{8, "email", "empty part in domain"},
			{9, "email", "misplaced dot before @"},
			{10, "email", "contains white space"},
			{11, "email", `contains ';'`},
		},
		rows: []Row{r(12, func(r *Row) { r.Email, r.GroupName = "ann+tag@sub.example.co.uk", "Lobby" })},
	},
	{
		name: "control characters and invalid UTF-8 are errors in every known column",
		in: "acs_system,acs_user_id,email,phone_number,access_group,full_name\n" +
			"Harbor Tower,u1,ann@example.com,,Lob\x00by,Ann\n" + // NUL
			"Harbor\x1b[31m Tower,u2,,,Lobby,Bob\n" + // ESC
			"Harbor Tower,u3\x7f,,,Lobby,Cat\n" + // DEL
			"Harbor Tower,u4,,+1\u0085555,Lobby,Dan\n" + // C1 NEXT LINE
			"Harbor Tower,u5,,,\"Lob\tby\",Eve\n" + // a tab inside a name
			"Harbor Tower,u6,,,M\xfcller,Fay\n" + // Latin-1, not UTF-8
			"Harbor Tower,u7,,,Lobby,\"Gus\x00\"\n" + // NUL in full_name
			"Harbor Tower,u8,,,Lobby,\"Hal\tLee\r\nJr\"\n" + // tab and line break in full_name: fine
			"Harbor Tower,u9,ian@exam\x00ple.com,,Lobby,Ian\n", // NUL in an email
		errs: []prob{
			{2, "access_group", `value "Lob\x00by" contains the control character U+0000 '\x00'`},
			{3, "acs_system", `value "Harbor\x1b[31m Tower" contains the control character U+001B '\x1b'`},
			{4, "acs_user_id", `value "u3\x7f" contains the control character U+007F '\x7f'`},
			{5, "phone_number", `value "+1\u0085555" contains the control character U+0085 '\u0085'`},
			{6, "access_group", `value "Lob\tby" contains the control character U+0009 '\t'`},
			{7, "access_group", `value "M\xfcller" is not valid UTF-8: save the file as UTF-8`},
			{8, "full_name", `value "Gus\x00" contains the control character U+0000 '\x00'`},
			{11, "email", `malformed email "ian@exam\x00ple.com": contains '\x00'`},
		},
		rows: []Row{r(9, func(r *Row) {
			r.SystemName, r.AcsUserID, r.GroupName, r.FullName = "Harbor Tower", "u8", "Lobby", "Hal\tLee\nJr" // encoding/csv reads CRLF in a quoted field as LF
		})},
	},
	{
		name: "a value longer than 1 KiB is an error, quoted and cut",
		in: "email,access_group\n" +
			"ann@example.com," + strings.Repeat("g", maxValue) + "\n" + // the longest allowed
			"bob@example.com," + strings.Repeat("g", maxValue+1) + "\n" +
			"cat@example.com,\"Lobby\n" + strings.Repeat("dan@example.com,Lobby\n", 60) + "\"\n", // lines 4-65
		errs: []prob{
			{3, "access_group", `value "` + strings.Repeat("g", 80) + `"... (1025 bytes) is longer than the 1024 bytes a value may have`},
			{4, "access_group", `value "Lobby\ndan@example.com,Lobby\ndan@example.com,Lobby\ndan@example.com,Lobby\ndan@"... (1325 bytes) is longer than the 1024 bytes a value may have: it spans several lines; is a quote unbalanced?`},
		},
		rows: []Row{r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", strings.Repeat("g", maxValue) })},
	},
	{
		name: "row without a user or a group value",
		in:   "acs_user_id,email,acs_access_group_id,access_group,full_name\n,,g1,,Ann\nu1,,,,Bob\n,,,,Cat\n",
		errs: []prob{
			{2, "", "no user: fill acs_user_id or email"},
			{3, "", "no group: fill acs_access_group_id or access_group"},
			{4, "", "no user"},
			{4, "", "no group"},
		},
	},
	{
		name: "duplicate rows are kept once with a warning",
		in: "email,access_group\nann@example.com,Lobby\nbob@example.com,Lobby\n" +
			"ANN@example.com , Lobby\nann@example.com,lobby\nann@example.com,Lobby\n",
		rows: []Row{
			r(2, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "Lobby" }),
			r(3, func(r *Row) { r.Email, r.GroupName = "bob@example.com", "Lobby" }),
			r(5, func(r *Row) { r.Email, r.GroupName = "ann@example.com", "lobby" }),
		},
		warns: []prob{
			{4, "", "duplicate of line 2: kept once"},
			{6, "", "duplicate of line 2: kept once"},
		},
	},
	{
		name: "an email with the Kelvin sign is not a duplicate of the one with k",
		in:   "email,access_group\nkim@x.com,Lobby\n\u212Aim@x.com,Lobby\nKIM@x.com,Lobby\n",
		rows: []Row{
			r(2, func(r *Row) { r.Email, r.GroupName = "kim@x.com", "Lobby" }),
			r(3, func(r *Row) { r.Email, r.GroupName = "\u212Aim@x.com", "Lobby" }),
		},
		warns: []prob{{4, "", "duplicate of line 2: kept once"}},
	},
	{
		name: "same email with two acs_user_ids in one system",
		in: "acs_system_id,acs_user_id,email,access_group\n" +
			"s1,u1,ann@example.com,Lobby\n" +
			"s1,,ann@example.com,Floor 2\n" +
			"s2,u9,ann@example.com,Lobby\n" + // another system: another ACS user
			"s1,u2,Ann@Example.com,Floor 3\n",
		errs: []prob{{5, "acs_user_id", `email "Ann@Example.com" has acs_user_id "u2" here but "u1" on line 2: they name different people`}},
		rows: []Row{
			r(2, func(r *Row) { r.SystemID, r.AcsUserID, r.Email, r.GroupName = "s1", "u1", "ann@example.com", "Lobby" }),
			r(3, func(r *Row) { r.SystemID, r.Email, r.GroupName = "s1", "ann@example.com", "Floor 2" }),
			r(4, func(r *Row) { r.SystemID, r.AcsUserID, r.Email, r.GroupName = "s2", "u9", "ann@example.com", "Lobby" }),
			r(5, func(r *Row) { r.SystemID, r.AcsUserID, r.Email, r.GroupName = "s1", "u2", "Ann@Example.com", "Floor 3" }),
		},
	},
	{
		name: "same acs_user_id with two emails",
		in: "acs_user_id,email,phone_number,access_group\n" +
			"u1,ann@example.com,+1 (555) 010-0100,Lobby\n" +
			"u1,ANN@example.com,+15550100100,Floor 2\n" + // same person, written differently
			"u1,bob@example.com,,Floor 3\n" +
			"u1,,+15550100199,Floor 4\n",
		errs: []prob{
			{4, "email", `acs_user_id "u1" has email "bob@example.com" here but "ann@example.com" on line 2`},
			{5, "phone_number", `acs_user_id "u1" has phone_number "+15550100199" here but "+1 (555) 010-0100" on line 2`},
		},
		rows: []Row{
			r(2, func(r *Row) {
				r.AcsUserID, r.Email, r.Phone, r.GroupName = "u1", "ann@example.com", "+1 (555) 010-0100", "Lobby"
			}),
			r(3, func(r *Row) {
				r.AcsUserID, r.Email, r.Phone, r.GroupName = "u1", "ANN@example.com", "+15550100100", "Floor 2"
			}),
			r(4, func(r *Row) { r.AcsUserID, r.Email, r.GroupName = "u1", "bob@example.com", "Floor 3" }),
			r(5, func(r *Row) { r.AcsUserID, r.Phone, r.GroupName = "u1", "+15550100199", "Floor 4" }),
		},
	},
	{
		name: "same user identity with two acs users is fine, same acs user with two identities is not",
		in: "acs_system,acs_user_id,user_identity_id,access_group\n" +
			"A,u1,id1,Lobby\n" +
			"B,u2,id1,Lobby\n" +
			"A,u1,id2,Floor 2\n",
		errs: []prob{{4, "user_identity_id", `acs_user_id "u1" has user_identity_id "id2" here but "id1" on line 2`}},
		rows: []Row{
			r(2, func(r *Row) { r.SystemName, r.AcsUserID, r.UserIdentityID, r.GroupName = "A", "u1", "id1", "Lobby" }),
			r(3, func(r *Row) { r.SystemName, r.AcsUserID, r.UserIdentityID, r.GroupName = "B", "u2", "id1", "Lobby" }),
			r(4, func(r *Row) { r.SystemName, r.AcsUserID, r.UserIdentityID, r.GroupName = "A", "u1", "id2", "Floor 2" }),
		},
	},
	{
		name: "problems from header and rows are all reported in line order",
		in:   "emial,email,access_group,acs_access_group_id,access_group\nbad,x,y,z,w\n,ann@example.com,,,\n",
		errs: []prob{
			{1, "access_group", "duplicate column: columns 3 and 5"},
			{2, "email", "malformed email"},
			{3, "", "no group"},
		},
		warns:   []prob{{1, "emial", "ignored: not a known column (close to email, which is also present)"}},
		ignored: []string{"emial"},
	},
}

func TestRead(t *testing.T) {
	for _, tc := range readCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Read(name, strings.NewReader(tc.in), Options{})
			if f == nil {
				t.Fatalf("Read returned no File (err %v)", err)
			}
			var got []*RowError
			if err != nil {
				var errs *Errors
				if !errors.As(err, &errs) {
					t.Fatalf("error %v (%T) is not *Errors", err, err)
				}
				got = errs.Problems
			}
			checkProblems(t, "error", derefAll(got), tc.errs)
			checkProblems(t, "warning", f.Warnings, tc.warns)
			if diff := cmp.Diff(tc.rows, f.Rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if tc.columns != nil {
				if diff := cmp.Diff(tc.columns, f.Columns); diff != "" {
					t.Errorf("columns (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tc.ignored, f.Ignored); diff != "" {
				t.Errorf("ignored (-want +got):\n%s", diff)
			}
			if tc.delim != 0 && (f.Delimiter != tc.delim || !f.DelimiterDetected) {
				t.Errorf("delimiter = %q (detected %v), want %q detected", f.Delimiter, f.DelimiterDetected, tc.delim)
			}
			if tc.enc != "" && f.Encoding != tc.enc {
				t.Errorf("encoding = %q, want %q", f.Encoding, tc.enc)
			}
			sum := sha256.Sum256([]byte(tc.in))
			if f.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("SHA256 = %s, want the hash of the raw input", f.SHA256)
			}
		})
	}
}

func derefAll(ps []*RowError) []RowError {
	out := make([]RowError, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

// checkProblems asserts that got has exactly the problems of want, in order.
func checkProblems(t *testing.T, kind string, got []RowError, want []prob) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		g, w := got[i], want[i]
		ok = g.File == name && g.Line == w.line && g.Column == w.col && strings.Contains(g.Msg, w.msg)
	}
	if !ok {
		var b strings.Builder
		for _, g := range got {
			fmt.Fprintf(&b, "\n  %s (line %d, column %q)", g.Error(), g.Line, g.Column)
		}
		t.Errorf("%ss: got %d:%s\nwant %d: %+v", kind, len(got), b.String(), len(want), want)
	}
}

func TestHugeFieldGivesAShortError(t *testing.T) {
	// A 10 MB field is refused with a message of a line, not echoed whole.
	in := "email,access_group\nann@example.com,\"" + strings.Repeat("A", 10<<20) + "\"\nbob@example.com,Lobby\n"
	f, err := Read(name, strings.NewReader(in), Options{})
	want := "in.csv:2: column access_group: value \"" + strings.Repeat("A", 80) +
		"\"... (10485760 bytes) is longer than the 1024 bytes a value may have"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %.300v, want %s", err, want)
	}
	if len(f.Rows) != 1 || f.Rows[0].Line != 3 {
		t.Errorf("rows = %+v, want line 3 only", f.Rows)
	}
}

func TestColumnNamesFromTheHeaderAreQuotedWhenNeeded(t *testing.T) {
	in := "email,access_group,dep\x1bt,\"" + strings.Repeat("n", 200) + "\",site\nann@example.com,Lobby,x,y,z\n"
	f, err := Read(name, strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range f.Warnings {
		got = append(got, w.Error())
	}
	want := []string{
		`in.csv:1: column "dep\x1bt": ignored: not a known column`,
		`in.csv:1: column "` + strings.Repeat("n", 80) + `"... (200 bytes): ignored: not a known column`,
		`in.csv:1: column site: ignored: not a known column`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestRowErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    RowError
		want string
	}{
		{RowError{File: "a.csv", Line: 3, Column: "email", Msg: "malformed email"}, "a.csv:3: column email: malformed email"},
		{RowError{File: "a.csv", Line: 1, Msg: "empty file: no header row"}, "a.csv:1: empty file: no header row"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestManyProblemsShowFiftyAndACount(t *testing.T) {
	var in strings.Builder
	in.WriteString("email,access_group\n")
	for i := range 60 {
		fmt.Fprintf(&in, "user%d,Lobby\n", i)
	}
	_, err := Read(name, strings.NewReader(in.String()), Options{})
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want *Errors", err)
	}
	if errs.Len() != 60 || len(errs.Problems) != 60 {
		t.Fatalf("Len() = %d, kept %d, want 60 and 60", errs.Len(), len(errs.Problems))
	}
	lines := strings.Split(errs.Error(), "\n")
	if len(lines) != 51 {
		t.Fatalf("Error() has %d lines, want 51:\n%s", len(lines), errs.Error())
	}
	if lines[0] != `in.csv:2: column email: malformed email "user0": no @` {
		t.Errorf("first line = %q", lines[0])
	}
	if lines[49] != `in.csv:51: column email: malformed email "user49": no @` {
		t.Errorf("50th line = %q", lines[49])
	}
	if lines[50] != "... and 10 more problems" {
		t.Errorf("last line = %q, want %q", lines[50], "... and 10 more problems")
	}
	// errors.As also reaches the first problem itself.
	var re *RowError
	if !errors.As(err, &re) || re.Line != 2 {
		t.Errorf("errors.As(*RowError) = %v", re)
	}
}

func TestProblemLimits(t *testing.T) {
	var in strings.Builder
	in.WriteString("email,access_group\n")
	for i := range 30 {
		fmt.Fprintf(&in, "user%d,Lobby\nok@example.com,Lobby\n", i)
	}
	f, err := Read(name, strings.NewReader(in.String()), Options{MaxErrors: 3, MaxProblems: 10})
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want *Errors", err)
	}
	if len(errs.Problems) != 10 || errs.Omitted != 20 || errs.Len() != 30 {
		t.Errorf("kept %d, omitted %d, len %d; want 10, 20, 30", len(errs.Problems), errs.Omitted, errs.Len())
	}
	want := "in.csv:2: column email: malformed email \"user0\": no @\n" +
		"in.csv:4: column email: malformed email \"user1\": no @\n" +
		"in.csv:6: column email: malformed email \"user2\": no @\n" +
		"... and 27 more problems"
	if got := errs.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	if len(f.Warnings) != 10 || f.WarningsOmitted != 19 {
		t.Errorf("warnings kept %d, omitted %d; want 10, 19", len(f.Warnings), f.WarningsOmitted)
	}
	if len(f.Rows) != 1 {
		t.Errorf("rows = %d, want 1", len(f.Rows))
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(path, []byte("email,access_group\nann@example.com,Lobby\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{File: path, Line: 2, Email: "ann@example.com", GroupName: "Lobby"}}
	if diff := cmp.Diff(want, f.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.csv"), Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
}

// failingReader returns some bytes, then an error.
type failingReader struct{ done bool }

var errDisk = errors.New("disk on fire")

func (fr *failingReader) Read(p []byte) (int, error) {
	if fr.done {
		return 0, errDisk
	}
	fr.done = true
	return copy(p, "email,access_group\nann@example.com,Lobby\n"), nil
}

func TestReadErrorIsNotAProblem(t *testing.T) {
	_, err := Read(name, &failingReader{}, Options{})
	var errs *Errors
	if !errors.Is(err, errDisk) || errors.As(err, &errs) {
		t.Errorf("err = %v, want a wrapped read error, not *Errors", err)
	}
}

func TestLargeFilePresize(t *testing.T) {
	// More rows than presizeAfter, with the size known from strings.Reader:
	// every row must still be read, in order, with its line.
	var in strings.Builder
	in.WriteString("acs_system_id,email,access_group\n")
	const n = 3000
	for i := range n {
		fmt.Fprintf(&in, "sys1,user%d@example.com,Group %d\n", i, i%7)
	}
	f, err := Read(name, strings.NewReader(in.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != n {
		t.Fatalf("rows = %d, want %d", len(f.Rows), n)
	}
	for i, row := range f.Rows {
		if row.Line != i+2 || row.Email != fmt.Sprintf("user%d@example.com", i) {
			t.Fatalf("row %d = %+v", i, row)
		}
	}
	// System ids and group names are interned: equal values share one copy.
	for _, pair := range [][2]string{
		{f.Rows[0].GroupName, f.Rows[7].GroupName},
		{f.Rows[0].SystemID, f.Rows[n-1].SystemID},
	} {
		if pair[0] != pair[1] || unsafe.StringData(pair[0]) != unsafe.StringData(pair[1]) {
			t.Errorf("%q and %q are not one shared string", pair[0], pair[1])
		}
	}
}

func TestCaseFoldHash(t *testing.T) {
	// Addresses equal under email.Equal must hash alike; those Unicode case
	// folding alone makes equal must not be equal.
	hash := func(s string) uint64 {
		rd := &reader{}
		rd.h.SetSeed(seed)
		writeFold(&rd.h, s)
		return rd.h.Sum64()
	}
	for _, pair := range [][2]string{
		{"ann@example.com", "ANN@EXAMPLE.COM"},
		{"Zoë@X.org", "zoë@x.ORG"},
		{"A", "a"},
		{"straße@x.de", "STRAßE@X.DE"},
		{"", ""},
	} {
		if !email.Equal(pair[0], pair[1]) {
			t.Fatalf("test pair %q is not email.Equal", pair)
		}
		if hash(pair[0]) != hash(pair[1]) {
			t.Errorf("%q and %q hash differently", pair[0], pair[1])
		}
	}
	for _, pair := range [][2]string{
		{"kelvin@x.org", "\u212Aelvin@x.org"}, // Kelvin sign
		{"ſam@x.org", "SAM@x.org"},            // long s
		{"ZOË@x.org", "zoë@x.org"},            // only ASCII letters fold
	} {
		if email.Equal(pair[0], pair[1]) {
			t.Errorf("%q and %q are email.Equal", pair[0], pair[1])
		}
	}
}

var seed = maphash.MakeSeed()

func TestLargeFileDuplicatesAndConflicts(t *testing.T) {
	// Enough rows for the radix sort path, with the repeats far apart.
	var in strings.Builder
	in.WriteString("acs_system_id,acs_user_id,email,access_group\n")
	const n = 2000
	for i := range n {
		fmt.Fprintf(&in, "s1,u%d,user%d@example.com,G%d\n", i, i, i%3) // line i+2
	}
	in.WriteString("s1,u10,USER10@example.com,G1\n")  // line n+2: duplicate of line 12
	in.WriteString("s1,u5,other@example.com,G0\n")    // line n+3: u5 is user5 on line 7
	in.WriteString("s1,u9999,user7@example.com,G0\n") // line n+4: user7 is u7 on line 9
	in.WriteString("s2,u9998,user8@example.com,G0\n") // line n+5: another system, fine
	f, err := Read(name, strings.NewReader(in.String()), Options{})
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want *Errors", err)
	}
	checkProblems(t, "error", derefAll(errs.Problems), []prob{
		{n + 3, "email", `acs_user_id "u5" has email "other@example.com" here but "user5@example.com" on line 7`},
		{n + 4, "acs_user_id", `email "user7@example.com" has acs_user_id "u9999" here but "u7" on line 9`},
	})
	checkProblems(t, "warning", f.Warnings, []prob{{n + 2, "", "duplicate of line 12: kept once"}})
	if len(f.Rows) != n+3 {
		t.Fatalf("rows = %d, want %d", len(f.Rows), n+3)
	}
	for i, row := range f.Rows[:n] {
		if row.Line != i+2 {
			t.Fatalf("row %d has line %d", i, row.Line)
		}
	}
	if got := f.Rows[n].Line; got != n+3 {
		t.Errorf("row after the dropped duplicate has line %d, want %d", got, n+3)
	}
}

func TestSortHashIdxAndGroups(t *testing.T) {
	// Hashes share their low 32 bits in pairs, so groups must tell them
	// apart by the full hash.
	var p []hashIdx
	for i := range 1000 {
		h := uint64(i%37)<<32 | uint64(i%5)*0x9E3779B1
		p = append(p, hashIdx{h: h, i: int32(i)})
	}
	want := slices.Clone(p)
	slices.SortStableFunc(want, func(a, b hashIdx) int { return int(int64(uint32(a.h)) - int64(uint32(b.h))) })
	got, _ := sortHashIdx(slices.Clone(p), nil)
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(hashIdx{})); diff != "" {
		t.Fatalf("sortHashIdx (-want +got):\n%s", diff)
	}
	seen := 0
	groups(got, func(g []hashIdx, first []int) {
		for a := range g {
			seen++
			f := first[a]
			switch {
			case a == 0 && f != -1:
				t.Fatalf("first[0] = %d", f)
			case f >= 0 && (g[f].h != g[a].h || g[f].i >= g[a].i):
				t.Fatalf("first[%d] = %d: %+v then %+v", a, f, g[f], g[a])
			case f < 0:
				for b := range a {
					if g[b].h == g[a].h {
						t.Fatalf("first[%d] = -1 but %d has the same hash", a, b)
					}
				}
			}
		}
	})
	if seen != len(p) {
		t.Errorf("groups visited %d pairs, want %d", seen, len(p))
	}
}

func TestFileSHA256IsTheDigestReadRecords(t *testing.T) {
	p := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(p, []byte("\uFEFFemail,access_group\nann@x.com,Lobby\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := FileSHA256(p)
	if err != nil || sum != f.SHA256 {
		t.Errorf("FileSHA256 = %s, %v; Read recorded %s", sum, err, f.SHA256)
	}
}
