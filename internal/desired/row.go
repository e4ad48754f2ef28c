// Package desired reads the desired-state CSV, in either of its shapes: one
// row per membership that should exist, or one row per person (an HR
// export) whose groups are listed in an access_groups cell or given by
// access rules (package rules) from the row's other columns. It only parses
// and checks files; it never calls the API.
//
// The file is UTF-8 (a byte order mark is skipped), or UTF-16 when it starts
// with a UTF-16 byte order mark (File.Encoding says which); UTF-32, and
// UTF-16 without a byte order mark (NUL bytes in the first line), are
// refused by name. Lines end in LF or CRLF, fields are quoted as in RFC
// 4180. Fields are separated by Options.Delimiter or, by default, by the
// one of comma, semicolon (a spreadsheet saved in a European locale), tab
// and pipe under which the header line names the most known columns, comma
// on a tie (File.Delimiter says which). The first non-empty line is the
// header; its names are matched case-insensitively, with surrounding spaces
// ignored:
//
//   - system (optional): acs_system_id or acs_system (the system's name);
//   - user (the header needs one of these, each row a value in one):
//     acs_user_id, user_identity_id, email, phone_number, most specific
//     first;
//   - group (likewise): acs_access_group_id or access_group (the group's
//     name within the system);
//   - full_name, carried for reports;
//   - access_groups, several group names in one cell separated by
//     Options.ListSeparator (; by default), instead of a group column: one
//     row per person, an empty cell meaning no groups (File.Lists).
//
// Options.Columns maps our names to the file's own (email -> "Work
// Email"), and Options.Attributes names further columns to keep (the
// conditions of access rules, File.Attrs). Other columns are ignored and
// reported once as a warning, except a name within edit distance 2 of a
// known column or attribute that the header lacks ("emial"): that is an
// error with a hint, since ignoring it would lose the column. Problems in a
// mapped column name it as the file spells it, then by our name: column
// "Work Email" (email).
//
// Every value of a known column or attribute must be valid UTF-8, at most 1 KiB long and
// free of control characters (NUL, ESC, DEL, the C1 range; a full_name may
// hold tabs and line breaks): anything else is an error, so that bad bytes
// reach neither the terminal nor a plan. Values of ignored columns are never
// read. Messages show values quoted and cut to a readable length
// (quote.Value).
//
// A header with no rows after it (or only empty ones) is no error: Read
// returns a File with no rows and a warning, and whether an empty input may
// be used is the planner's business (its empty-input guard). An empty file,
// with no header, is an error.
//
// Read reports every problem of the file at once as an *Errors, each problem
// a *RowError naming the file, the physical line the record starts on and
// the column. Whether the values name things that exist (and agree with one
// another) is the planner's business: Read only checks what the file alone
// can tell, including that one acs_user_id or user_identity_id never goes
// with two emails or phone numbers, and one email or phone number never
// goes with two acs_user_ids in one system. Rows that repeat an earlier
// row are dropped with a warning. Emails are compared by email.Equal: only
// the ASCII letters A-Z match their lower case, so that a non-ASCII
// character (the Kelvin sign, say) never matches an ASCII one.
package desired

// Row is one row of the CSV as written, before it is resolved against the
// live state: a desired membership, or in a file of people (with an
// access_groups column, or read for access rules) a person, whose groups
// the File's Lists and Attrs give. Empty strings mean "column absent or
// blank".
type Row struct {
	// File and Line locate the row: Line is the physical line (1-based) on
	// which the record starts, correct after quoted multi-line fields.
	File string
	Line int

	SystemID   string // acs_system_id
	SystemName string // acs_system

	AcsUserID      string // acs_user_id
	UserIdentityID string // user_identity_id
	Email          string // email (trimmed; compared by email.Equal, ASCII letters case-insensitively)
	Phone          string // phone_number

	GroupID   string // acs_access_group_id
	GroupName string // access_group

	FullName string // full_name, carried for reports
}
