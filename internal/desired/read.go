package desired

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/acs-bulk/acs-bulk/internal/email"
	"github.com/acs-bulk/acs-bulk/internal/quote"
	"github.com/acs-bulk/acs-bulk/internal/similar"
	"github.com/gocarina/gocsv"
)

// Column names Read knows, as they appear (after normalization) in a header.
const (
	ColumnSystemID   = "acs_system_id"       // Row.SystemID
	ColumnSystemName = "acs_system"          // Row.SystemName
	ColumnAcsUserID  = "acs_user_id"         // Row.AcsUserID
	ColumnIdentityID = "user_identity_id"    // Row.UserIdentityID
	ColumnEmail      = "email"               // Row.Email
	ColumnPhone      = "phone_number"        // Row.Phone
	ColumnGroupID    = "acs_access_group_id" // Row.GroupID
	ColumnGroupName  = "access_group"        // Row.GroupName
	ColumnFullName   = "full_name"           // Row.FullName
	// ColumnGroupList holds several group names in one cell, separated by
	// Options.ListSeparator (File.Lists, File.ListedGroups).
	ColumnGroupList = "access_groups"
)

// KnownColumns lists every column Read knows: those it maps to a Row field,
// and the group-list column. It and the lists below are for help texts and
// hints; do not modify them.
var KnownColumns = []string{
	ColumnSystemID, ColumnSystemName,
	ColumnAcsUserID, ColumnIdentityID, ColumnEmail, ColumnPhone,
	ColumnGroupID, ColumnGroupName, ColumnGroupList,
	ColumnFullName,
}

// UserColumns lists the columns that identify a user, most specific first:
// when a row has several, the first filled one decides.
var UserColumns = []string{ColumnAcsUserID, ColumnIdentityID, ColumnEmail, ColumnPhone}

// GroupColumns lists the columns that identify an access group.
var GroupColumns = []string{ColumnGroupID, ColumnGroupName}

const (
	defaultMaxErrors   = 50
	defaultMaxProblems = 10000
	// internLimit bounds the map of system and group values, so that a
	// file of unique group names does not keep a second copy of every
	// name in a map.
	internLimit = 1 << 16
	// presizeAfter is the number of records after which Read estimates
	// the row count from the input size.
	presizeAfter = 1024
)

// Options tunes Read. The zero value is ready to use.
type Options struct {
	// MaxErrors is how many problems Errors.Error prints before
	// "... and N more problems"; 0 means 50.
	MaxErrors int
	// MaxProblems is how many problems (and, separately, warnings) are
	// kept in memory; the rest are only counted. 0 means 10000.
	MaxProblems int
	// Delimiter separates the fields. 0 means detect it from the header
	// line alone: the one of comma, semicolon, tab and pipe (|) under which
	// the header names the most known columns, comma on a tie or when none
	// does. A spreadsheet saved in a European locale is semicolon-separated.
	// A quote, a line break or an invalid character is refused with an
	// error wrapping ErrInvalidDelimiter.
	Delimiter rune
	// SizeHint is the input's size in bytes when the caller knows it; Read
	// uses it to size the row slice once. 0 means unknown: Read then asks
	// r itself (an *os.File, or any reader with a Size() int64 method).
	SizeHint int64
	// Columns maps our column names to the names the file gives them
	// (email -> "Work Email"), both compared as header names are. Our name
	// is a known column or one of Attributes; several of ours may read one
	// column of the file (acs_system and a condition on the site, say), but
	// not two known ones. A column of the file that has one of our mapped
	// names itself is ignored, with a warning. Problems in a mapped column
	// name it as the file spells it, then by our name (RowError.Header).
	// An entry that cannot be used is an error wrapping ErrInvalidColumn.
	Columns map[string]string
	// Attributes names further columns to keep, by our name (after
	// Columns): the conditions of access rules. Their values are in
	// File.Attrs; an attribute the header lacks is listed in File.Missing,
	// and is no error here. At most 16.
	Attributes []string
	// ListSeparator separates the group names of an access_groups cell; 0
	// means DefaultListSeparator (;). A file delimited by the separator
	// itself is refused, so a semicolon-separated file with an
	// access_groups column needs another separator given here. A separator
	// that cannot work is an error wrapping ErrInvalidListSeparator.
	ListSeparator rune
	// GroupsOptional says that the groups may come from elsewhere (access
	// rules): the header needs no group column, and a row no group.
	GroupsOptional bool
}

// File is what Read found in a desired-state file.
type File struct {
	// Name is the name given to Read, used in every problem.
	Name string
	// Rows holds the rows without problems, duplicates removed (the first
	// is kept), in file order. Their strings are shared: a system or group
	// value between the rows that have it, the user values of all rows in
	// one string (keeping one Row keeps them all).
	Rows []Row
	// Columns is the normalized header (lower case, trimmed), one entry per
	// column as in the file; Header is the same names as the file spells
	// them (trimmed).
	Columns []string
	Header  []string
	// Lists holds, when the header has an access_groups column, each
	// row's cell (trimmed), in the order of Rows: ListedGroups splits it at
	// ListSeparator. It is nil otherwise.
	Lists         []string
	ListSeparator rune
	// Attributes are the names Options.Attributes asked for (normalized),
	// and Attrs[a][i] is attribute a's value (trimmed) in Rows[i]; Attrs[a]
	// is nil for an attribute the header lacks, which Missing lists.
	Attributes []string
	Attrs      [][]string
	Missing    []string
	// Ignored lists, once each, the header names Read does not know and
	// ignores (a department column, say).
	Ignored []string
	// Warnings holds problems that do not stop the file from being used:
	// ignored columns, duplicate rows, empty rows. At most
	// Options.MaxProblems are kept; WarningsOmitted counts the rest.
	Warnings        []Problem
	WarningsOmitted int
	// SHA256 is the hex SHA-256 of the bytes read, BOM included.
	SHA256 string
	// Encoding is how the text was read: "UTF-8", or "UTF-16LE" or
	// "UTF-16BE" for a file that starts with a UTF-16 byte order mark.
	Encoding string
	// Delimiter is the field separator the file was read with (see
	// DelimiterName), and DelimiterDetected says whether Read chose it from
	// the header rather than from Options.Delimiter: a command can then say
	// "read as semicolon-separated".
	Delimiter         rune
	DelimiterDetected bool

	// spelled maps our names of the mapped columns to the file's spelling;
	// has holds our names of the columns read.
	spelled map[string]string
	has     map[string]bool
}

// HasColumn reports whether the header has the known column or attribute
// name, directly or mapped by Options.Columns.
func (f *File) HasColumn(name string) bool { return f.has[name] }

// csvRow is what gocsv fills from a record; its tags are the known columns.
type csvRow struct {
	SystemID       string `csv:"acs_system_id"`
	SystemName     string `csv:"acs_system"`
	AcsUserID      string `csv:"acs_user_id"`
	UserIdentityID string `csv:"user_identity_id"`
	Email          string `csv:"email"`
	Phone          string `csv:"phone_number"`
	GroupID        string `csv:"acs_access_group_id"`
	GroupName      string `csv:"access_group"`
	FullName       string `csv:"full_name"`
	GroupList      string `csv:"access_groups"`
}

// CSVRow is csvRow under a name gocsv binds when it is embedded (it skips
// an embedded field of an unexported name); it is no API of the package.
type CSVRow = csvRow

// csvRowAttrs is what gocsv fills when attributes are read: the known
// columns and, for the attribute columns, slots named by slotTag. A read
// without attributes uses csvRow, a third of the size: gocsv allocates one
// per record.
type csvRowAttrs struct {
	CSVRow
	S0  string `csv:"\x01slot0"`
	S1  string `csv:"\x01slot1"`
	S2  string `csv:"\x01slot2"`
	S3  string `csv:"\x01slot3"`
	S4  string `csv:"\x01slot4"`
	S5  string `csv:"\x01slot5"`
	S6  string `csv:"\x01slot6"`
	S7  string `csv:"\x01slot7"`
	S8  string `csv:"\x01slot8"`
	S9  string `csv:"\x01slot9"`
	S10 string `csv:"\x01slot10"`
	S11 string `csv:"\x01slot11"`
	S12 string `csv:"\x01slot12"`
	S13 string `csv:"\x01slot13"`
	S14 string `csv:"\x01slot14"`
	S15 string `csv:"\x01slot15"`
}

// slotTag is the gocsv tag of attribute slot i of csvRow: a name no header
// normalizes to.
func slotTag(i int) string { return "\x01slot" + strconv.Itoa(i) }

// slot returns attribute slot i of c.
func (c *csvRowAttrs) slot(i int) string {
	return [maxAttributes]string{c.S0, c.S1, c.S2, c.S3, c.S4, c.S5, c.S6, c.S7,
		c.S8, c.S9, c.S10, c.S11, c.S12, c.S13, c.S14, c.S15}[i]
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ReadFile opens path and reads it with Read, naming it path in problems.
func ReadFile(path string, opts Options) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(path, f, opts)
}

// Read reads a desired-state CSV from r to its end, streaming: the raw input
// is never held in memory. name is used in every problem.
//
// When the file has problems, Read returns the File read so far (for
// context) and an *Errors listing every problem; nothing should be changed
// then. A failure to read r is returned wrapped, as a plain error.
func Read(name string, r io.Reader, opts Options) (*File, error) {
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = defaultMaxErrors
	}
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = defaultMaxProblems
	}
	if opts.SizeHint <= 0 {
		opts.SizeHint = sizeOf(r)
	}
	if opts.Delimiter != 0 {
		if err := checkDelimiter(opts.Delimiter); err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
	}
	attrs := normalizeAll(opts.Attributes)
	if len(attrs) > maxAttributes {
		return nil, fmt.Errorf("read %s: %d attribute columns: at most %d can be read", name, len(attrs), maxAttributes)
	}
	cols, err := normalizeColumns(opts.Columns, attrs)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	sepGiven := opts.ListSeparator != 0
	if !sepGiven {
		opts.ListSeparator = DefaultListSeparator
	}
	if sepGiven {
		if err := checkListSeparator(opts.ListSeparator, opts.Delimiter); err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
	}
	sum := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(r, sum), 64<<10)
	rd := &reader{
		name:     name,
		opts:     opts,
		file:     &File{Name: name, ListSeparator: opts.ListSeparator, Attributes: attrs, spelled: map[string]string{}, has: map[string]bool{}},
		sum:      sum,
		br:       br,
		st:       newStore(),
		cols:     cols,
		sepGiven: sepGiven,
	}
	return rd.read()
}

// sizeOf returns r's size when r can tell it cheaply, or 0.
func sizeOf(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Size() int64 }:
		return v.Size()
	case *os.File:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	}
	return 0
}

// reader holds the state of one Read.
type reader struct {
	name string
	opts Options
	file *File
	sum  hash.Hash
	br   *bufio.Reader
	cr   *csv.Reader

	problems []*RowError
	omitted  int

	headerLine int
	known      int // known columns in the header
	hasUser    bool
	hasGroup   bool
	hasList    bool

	// cols is Options.Columns normalized (ours -> theirs); sepGiven says
	// whether Options.ListSeparator was set.
	cols     map[string]string
	sepGiven bool
	// attrFrom says where each attribute's value comes from: a slot of
	// csvRow (>= 0), a known value position (-2 - position), or nowhere
	// (-1: the header lacks it).
	attrFrom []int
	// v holds the values of the row being read, by value position: the
	// Row fields, the list cell, then the attributes.
	v []string
	// extra are the File's columns beside the Row fields, once built.
	extra [][]string

	st     *store
	h      maphash.Hash
	checks []idCheck
	// pairs and pairs2 are the buffers of the sort-based passes.
	pairs, pairs2 []hashIdx
}

func (rd *reader) read() (*File, error) {
	rd.file.Encoding = "UTF-8"
	text := rd.openText(rd.br)
	if text == nil {
		return rd.finish()
	}
	d := rd.opts.Delimiter
	if d == 0 {
		d = detectDelimiter(firstLine(text), rd.isName)
		rd.file.DelimiterDetected = true
	}
	rd.file.Delimiter = d
	rd.cr = csv.NewReader(text)
	rd.cr.Comma = d
	rd.cr.ReuseRecord = true
	// Leading spaces are skipped so that a quoted field may follow a
	// space (a, "b"); not when they separate fields, where skipping them
	// would swallow empty fields.
	rd.cr.TrimLeadingSpace = !isSpaceDelimiter(d)
	// FieldsPerRecord stays 0: the header sets it, and rows with another
	// field count come back as csv.ErrFieldCount.

	var out any = &csvRow{}
	if len(rd.file.Attributes) > 0 {
		out = &csvRowAttrs{}
	}
	um, err := gocsv.NewUnmarshaller(rd.cr, out)
	if err != nil {
		var pe *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			rd.add(1, "", "empty file: no header row")
		case errors.As(err, &pe):
			rd.parseError(pe)
		default:
			return nil, fmt.Errorf("read %s: %w", rd.name, err)
		}
		return rd.finish()
	}
	rd.headerLine, _ = rd.cr.FieldPos(0)
	if err := rd.header(um); err != nil {
		return nil, err
	}
	if err := rd.rows(um); err != nil {
		return nil, err
	}
	return rd.finish()
}

// finish drains the input for the checksum and returns the File with the
// problems found, if any.
func (rd *reader) finish() (*File, error) {
	if _, err := io.Copy(io.Discard, rd.br); err != nil {
		return nil, fmt.Errorf("read %s: %w", rd.name, err)
	}
	rd.file.SHA256 = hex.EncodeToString(rd.sum.Sum(nil))
	slices.SortStableFunc(rd.file.Warnings, func(a, b Problem) int { return a.Line - b.Line })
	if len(rd.problems) == 0 {
		return rd.file, nil
	}
	slices.SortStableFunc(rd.problems, func(a, b *RowError) int { return a.Line - b.Line })
	return rd.file, &Errors{Problems: rd.problems, Omitted: rd.omitted, Show: rd.opts.MaxErrors}
}

// add records an error about column (our name), which a mapped column's
// problem names as the file spells it too.
func (rd *reader) add(line int, column, msg string) {
	rd.problem(line, column, rd.file.spelled[column], msg, false)
}

// warn records a warning, as add does.
func (rd *reader) warn(line int, column, msg string) {
	rd.problem(line, column, rd.file.spelled[column], msg, true)
}

// problem records an error or a warning about column, spelled header in
// the file ("" when not mapped).
func (rd *reader) problem(line int, column, header, msg string, warning bool) {
	p := &RowError{File: rd.name, Line: line, Column: column, Header: header, Msg: msg}
	switch {
	case !warning && len(rd.problems) >= rd.opts.MaxProblems:
		rd.omitted++
	case !warning:
		rd.problems = append(rd.problems, p)
	case len(rd.file.Warnings) >= rd.opts.MaxProblems:
		rd.file.WarningsOmitted++
	default:
		rd.file.Warnings = append(rd.file.Warnings, *p)
	}
}

// parseError records a CSV syntax error at the line its record starts on.
func (rd *reader) parseError(pe *csv.ParseError) {
	line := max(pe.StartLine, 1)
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		rd.add(line, "", fmt.Sprintf("wrong number of fields: %d, the header has %d",
			fieldCount(rd.cr), rd.cr.FieldsPerRecord))
	case errors.Is(pe.Err, csv.ErrBareQuote):
		rd.add(line, "", fmt.Sprintf("unbalanced quote: \" inside a field that is not quoted (line %d, byte %d): quote the whole field and double the quotes inside it",
			pe.Line, pe.Column))
	case errors.Is(pe.Err, csv.ErrQuote):
		rd.add(line, "", fmt.Sprintf("unbalanced quote: extraneous or missing \" in a quoted field starting on this line (found at line %d, byte %d)",
			pe.Line, pe.Column))
	default:
		rd.add(line, "", pe.Err.Error())
	}
}

// fieldCount returns the number of fields of the record the csv.Reader read
// last. It is called only after csv.ErrFieldCount, which csv.Reader returns
// with the whole record parsed; FieldPos panics past the last field, so the
// count is found by a search on that.
func fieldCount(cr *csv.Reader) int {
	has := func(i int) (ok bool) {
		defer func() {
			if recover() != nil {
				ok = false
			}
		}()
		cr.FieldPos(i)
		return true
	}
	if !has(0) {
		return 0
	}
	lo, hi := 0, 1 // has(lo) holds, has(hi) is unknown
	for has(hi) {
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 { // has(lo) and !has(hi)
		mid := lo + (hi-lo)/2
		if has(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + 1
}

// normalizeHeader lower-cases name and removes surrounding spaces and
// zero-width characters.
func normalizeHeader(name string) string {
	name = strings.Map(func(r rune) rune {
		switch r {
		case '\u200B', '\u200C', '\u200D', '\uFEFF':
			return -1
		}
		return r
	}, name)
	return strings.ToLower(strings.TrimSpace(name))
}

func isKnown(name string) bool { return slices.Contains(KnownColumns, name) }

// isName reports whether a normalized header name is one Read reads: a
// known column, an attribute, or a column Options.Columns maps.
func (rd *reader) isName(name string) bool {
	if isKnown(name) || slices.Contains(rd.file.Attributes, name) {
		return true
	}
	for _, theirs := range rd.cols {
		if theirs == name {
			return true
		}
	}
	return false
}

// spell returns a header name as the file spells it: trimmed, without
// zero-width characters, case kept.
func spell(name string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch r {
		case '\u200B', '\u200C', '\u200D', '\uFEFF':
			return -1
		}
		return r
	}, name))
}

// header checks the header and tells gocsv which columns to map.
func (rd *reader) header(um *gocsv.Unmarshaller) error {
	line := rd.headerLine
	cols := make([]string, len(um.Headers))
	spelled := make([]string, len(um.Headers))
	for i, h := range um.Headers {
		cols[i] = normalizeHeader(h)
		spelled[i] = spell(h)
	}
	rd.file.Columns, rd.file.Header = cols, spelled
	attrs := rd.file.Attributes

	// Our names for each column of the file: the ones Options.Columns
	// gives it, else its own when we know it.
	ours := make([][]string, len(cols))
	mappedOurs := slices.Sorted(maps.Keys(rd.cols))
	for _, o := range mappedOurs {
		theirs, found := rd.cols[o], false
		for i, c := range cols {
			if c == theirs {
				ours[i] = append(ours[i], o)
				found = true
				if theirs != o {
					rd.file.spelled[o] = spelled[i]
				}
			}
		}
		if !found {
			msg := "not in the header: the column mapping names a column the file does not have"
			if near := similar.Closest(theirs, spelled, max(2, utf8.RuneCountInString(theirs)/3)); len(near) > 0 {
				msg += "; did you mean " + quote.Value(near[0]) + "?"
			}
			rd.problem(line, o, rd.opts.Columns[columnKey(rd.opts.Columns, o)], msg, false)
		}
	}
	renamed := func(c string) bool { t, ok := rd.cols[c]; return ok && t != c }
	for i, c := range cols {
		if ours[i] == nil && c != "" && !renamed(c) && (isKnown(c) || slices.Contains(attrs, c)) {
			ours[i] = []string{c}
		}
	}

	present := map[string]bool{}
	for i := range cols {
		for _, o := range ours[i] {
			present[o] = true
		}
	}
	mapped := make([]string, len(cols)) // what gocsv sees: "" maps to nothing
	first := map[string]int{}           // our name, or an ignored name, -> its first column
	attrCol := make([]int, len(attrs))  // the column each attribute reads, or -1
	for a := range attrCol {
		attrCol[a] = -1
	}
	for i, c := range cols {
		switch {
		case ours[i] != nil:
			for _, o := range ours[i] {
				if j, dup := first[o]; dup {
					rd.add(line, o, fmt.Sprintf("duplicate column: columns %d and %d have the same name", j+1, i+1))
					continue
				}
				first[o] = i
				if a := slices.Index(attrs, o); a >= 0 {
					attrCol[a] = i
				}
				if isKnown(o) {
					mapped[i] = o
					rd.known++
				}
			}
		case c == "":
			rd.warn(line, "", fmt.Sprintf("header column %d has no name: its values are ignored", i+1))
		case renamed(c):
			rd.file.Ignored = append(rd.file.Ignored, c)
			rd.problem(line, c, "", fmt.Sprintf("ignored: %s is read from column %s (mapped)", c, quote.Value(rd.file.spelled[c])), true)
		default:
			if _, dup := first[c]; dup {
				continue // ignored once already
			}
			first[c] = i
			near := rd.nearestName(c)
			switch {
			case near != "" && !present[near]:
				rd.add(line, c, fmt.Sprintf("unknown column: did you mean %s?", near))
			case near != "":
				rd.file.Ignored = append(rd.file.Ignored, c)
				rd.warn(line, c, fmt.Sprintf("ignored: not a known column (close to %s, which is also present)", near))
			default:
				rd.file.Ignored = append(rd.file.Ignored, c)
				rd.warn(line, c, "ignored: not a known column")
			}
		}
	}
	// Attributes read a slot of csvRow, or the value of the known column
	// that reads the same column of the file.
	rd.attrFrom = make([]int, len(attrs))
	slots := map[int]int{} // column -> slot
	for a, i := range attrCol {
		switch {
		case i < 0:
			rd.attrFrom[a] = -1
			rd.file.Missing = append(rd.file.Missing, attrs[a])
		case mapped[i] != "" && mapped[i] != ColumnGroupList:
			rd.attrFrom[a] = -2 - slices.Index(valueColumns[:], mapped[i])
			rd.known++
		case mapped[i] == ColumnGroupList:
			rd.add(line, attrs[a], "the group list cannot be a condition")
			rd.attrFrom[a] = -1
		default:
			s, ok := slots[i]
			if !ok {
				s = len(slots)
				slots[i] = s
				mapped[i] = slotTag(s)
			}
			rd.attrFrom[a] = s
			rd.known++
		}
	}
	for o := range present {
		rd.file.has[o] = true
	}
	for _, c := range UserColumns {
		rd.hasUser = rd.hasUser || present[c]
	}
	for _, c := range GroupColumns {
		rd.hasGroup = rd.hasGroup || present[c]
	}
	rd.hasList = present[ColumnGroupList]
	switch {
	case rd.known == 0 && len(rd.problems) == 0:
		rd.add(line, "", "the header names no known column (is the first line a header?): known columns are "+
			strings.Join(KnownColumns, ", ")+"; the file was read as "+DelimiterName(rd.file.Delimiter)+
			"-separated (pass --delimiter to choose the separator, or --column to read its columns as ours)")
	default:
		if !rd.hasUser {
			rd.add(line, "", "no user column: the header needs one of "+strings.Join(UserColumns, ", "))
		}
		switch {
		case rd.hasList && rd.hasGroup:
			rd.add(line, ColumnGroupList, "a file gives its groups either in "+ColumnGroupList+" or in "+
				joinOr(rd.presentOf(GroupColumns))+", not in both")
		case !rd.hasGroup && !rd.hasList && !rd.opts.GroupsOptional:
			rd.add(line, "", "no group column: the header needs one of "+strings.Join(GroupColumns, ", ")+" or "+ColumnGroupList)
		}
		if rd.hasList && rd.file.ListSeparator == rd.file.Delimiter {
			msg := "the file is " + DelimiterName(rd.file.Delimiter) + "-separated, so " + strconv.QuoteRune(rd.file.ListSeparator) +
				" cannot also separate the groups of a cell: pass another --list-separator (such as |)"
			rd.add(line, ColumnGroupList, msg)
		}
	}
	if rd.hasList {
		rd.file.Lists = []string{}
	}

	if err := um.RenormalizeHeaders(func([]string) []string { return mapped }); err != nil {
		return fmt.Errorf("read %s: %w", rd.name, err)
	}
	// Guard against a process-wide gocsv.SetHeaderNormalizer that would
	// stop the tags from matching: the rows would silently come back empty.
	for _, c := range um.MismatchedStructFields {
		if slices.Contains(mapped, c) {
			return fmt.Errorf("read %s: internal error: gocsv did not map column %s", rd.name, c)
		}
	}
	var positions []int
	for p, c := range valueColumns {
		if slices.Contains(mapped, c) {
			positions = append(positions, p)
		}
	}
	if rd.hasList {
		positions = append(positions, vList)
	}
	for a, from := range rd.attrFrom {
		if from != -1 {
			positions = append(positions, attrPos(a))
		}
	}
	rd.st.layout(positions)
	rd.v = make([]string, attrPos(len(attrs)))
	for _, c := range idCheckList {
		if present[c.key.name()] && present[c.val.name()] {
			rd.checks = append(rd.checks, c)
		}
	}
	return nil
}

// columnKey returns the key of columns whose normalized form is ours.
func columnKey(columns map[string]string, ours string) string {
	for k := range columns {
		if normalizeHeader(k) == ours {
			return k
		}
	}
	return ours
}

// nearestName returns the known column or attribute within edit distance
// 2 of name that is nearest (the first listed on a tie), or "".
func (rd *reader) nearestName(name string) string {
	if near := similar.Closest(name, append(slices.Clone(KnownColumns), rd.file.Attributes...), 2); len(near) > 0 {
		return near[0]
	}
	return ""
}

// rows reads every record after the header.
func (rd *reader) rows(um *gocsv.Unmarshaller) error {
	rd.h.SetSeed(maphash.MakeSeed())
	records, nonBlank := 0, 0
	for {
		v, err := um.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		records++
		if records == presizeAfter {
			rd.presize(records)
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("read %s: %w", rd.name, err)
			}
			nonBlank++
			rd.parseError(pe)
			continue
		}
		if rd.known == 0 {
			continue // the header error says it all
		}
		line, _ := rd.cr.FieldPos(0)
		var c *csvRow
		var slots *csvRowAttrs
		switch r := v.(type) {
		case *csvRow:
			c = r
		case *csvRowAttrs:
			c, slots = &r.CSVRow, r
		}
		if rd.row(c, slots, line) {
			nonBlank++
		}
	}
	if nonBlank == 0 && rd.known > 0 {
		// Not an error: the file is well formed. Using it is the
		// planner's business (its empty-input guard).
		msg := "the file has a header but no rows"
		if records > 0 {
			msg = "the file has a header but only empty rows"
		}
		rd.warn(rd.headerLine, "", msg+": plan and apply refuse it unless --allow-empty-groups")
	}
	var extra [][]string
	rd.file.Rows, extra = rd.st.build(rd.name, 1+len(rd.file.Attributes))
	rd.st = nil // the packed rows are garbage now
	if rd.hasList {
		rd.file.Lists = extra[0]
	}
	rd.file.Attrs = extra[1:]
	rd.extra = rd.extraColumns()
	rd.dedupe()
	for _, c := range rd.checks {
		rd.crossCheck(c)
	}
	return nil
}

// presize grows the store once to the row count and user bytes the input
// size suggests.
func (rd *reader) presize(records int) {
	off := rd.cr.InputOffset()
	if rd.opts.SizeHint <= off || off <= 0 || rd.st.n == 0 {
		return
	}
	est := int(float64(rd.opts.SizeHint) / float64(off) * float64(records) * 1.02)
	if more := est - rd.st.n; more > 0 {
		rd.st.grow(more, float64(rd.st.users.Len())/float64(rd.st.n)*1.02)
	}
}

// row checks one record and keeps it; it reports false for an empty row.
func (rd *reader) row(c *csvRow, slots *csvRowAttrs, line int) bool {
	v := rd.v
	v[vSystemID] = strings.TrimSpace(c.SystemID)
	v[vSystemName] = strings.TrimSpace(c.SystemName)
	v[vAcsUserID] = strings.TrimSpace(c.AcsUserID)
	v[vIdentityID] = strings.TrimSpace(c.UserIdentityID)
	v[vEmail] = strings.TrimSpace(c.Email)
	v[vPhone] = strings.TrimSpace(c.Phone)
	v[vGroupID] = strings.TrimSpace(c.GroupID)
	v[vGroupName] = strings.TrimSpace(c.GroupName)
	v[vFullName] = strings.TrimSpace(c.FullName)
	v[vList] = strings.TrimSpace(c.GroupList)
	for a, from := range rd.attrFrom {
		switch {
		case from >= 0:
			v[attrPos(a)] = strings.TrimSpace(slots.slot(from))
		case from < -1:
			v[attrPos(a)] = v[-2-from]
		}
	}
	empty := true
	for _, s := range v {
		if s != "" {
			empty = false
			break
		}
	}
	if empty {
		rd.warn(line, "", "no value in any known column: row skipped")
		return false
	}
	bad := false
	for i, s := range v {
		if s == "" || i > vList && rd.attrFrom[i-vList-1] < -1 {
			continue // empty, or an attribute read from a known column (checked as such)
		}
		why := ""
		switch {
		case i == vEmail && len(s) <= maxValue:
			if why = checkEmail(s); why != "" {
				why = "malformed email " + quote.Value(s) + ": " + why
			}
		case i == vList:
			why = checkList(s, rd.file.ListSeparator)
		default:
			why = checkValue(rd.columnOf(i), s)
		}
		if why != "" {
			rd.add(line, rd.columnOf(i), why)
			bad = true
		}
	}
	if rd.hasUser && v[vAcsUserID] == "" && v[vIdentityID] == "" && v[vEmail] == "" && v[vPhone] == "" {
		rd.add(line, "", "no user: fill "+joinOr(rd.presentOf(UserColumns)))
		bad = true
	}
	if rd.hasGroup && !rd.opts.GroupsOptional && v[vGroupID] == "" && v[vGroupName] == "" {
		rd.add(line, "", "no group: fill "+joinOr(rd.presentOf(GroupColumns)))
		bad = true
	}
	if bad {
		return true
	}
	if !rd.st.keep(v, line) && !rd.st.tooLong {
		rd.st.tooLong = true
		rd.add(line, "", fmt.Sprintf("the file has more than %d lines: split it", rd.st.maxLine))
	}
	return true
}

// columnOf names the column of value position p.
func (rd *reader) columnOf(p int) string {
	switch {
	case p < nValues:
		return valueColumns[p]
	case p == vList:
		return ColumnGroupList
	}
	return rd.file.Attributes[p-vList-1]
}

// checkList returns why an access_groups cell cannot be used, or "": it is
// too long, or one of its group names cannot be a value.
func checkList(cell string, sep rune) string {
	if len(cell) > maxList {
		return fmt.Sprintf("value %s is longer than the %d bytes a list of groups may have", quote.Value(cell), maxList)
	}
	for _, g := range SplitList(cell, sep) {
		if why := checkValue(ColumnGroupName, g); why != "" {
			return "group " + strings.TrimPrefix(why, "value ")
		}
	}
	return ""
}

// presentOf returns the names of cols that the header has (by our name).
func (rd *reader) presentOf(cols []string) []string {
	var out []string
	for _, c := range cols {
		if rd.file.has[c] {
			out = append(out, c)
		}
	}
	return out
}

// joinOr joins names as "a", "a or b", "a, b or c".
func joinOr(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// rowHash hashes every value of row i, the email folded by email.Fold.
func (rd *reader) rowHash(i int) uint64 {
	r := &rd.file.Rows[i]
	h := &rd.h
	h.Reset()
	for _, s := range [...]string{r.SystemID, r.SystemName, r.AcsUserID, r.UserIdentityID, r.Phone, r.GroupID, r.GroupName, r.FullName} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	writeFold(h, r.Email)
	for _, col := range rd.extra {
		h.WriteByte(0)
		h.WriteString(col[i])
	}
	return h.Sum64()
}

// extraColumns returns the kept columns beside the Row fields: the group
// lists and the attributes the header has, by row.
func (rd *reader) extraColumns() [][]string {
	cols := make([][]string, 0, 1+len(rd.file.Attrs))
	if rd.file.Lists != nil {
		cols = append(cols, rd.file.Lists)
	}
	for _, a := range rd.file.Attrs {
		if a != nil {
			cols = append(cols, a)
		}
	}
	return cols
}

// sameRow reports whether rows i and j carry the same values (the emails
// by email.Equal), the group lists and attributes included; File and Line
// are not compared.
func (rd *reader) sameRow(i, j int) bool {
	a, b := &rd.file.Rows[i], &rd.file.Rows[j]
	if a.SystemID != b.SystemID || a.SystemName != b.SystemName ||
		a.AcsUserID != b.AcsUserID || a.UserIdentityID != b.UserIdentityID ||
		!email.Equal(a.Email, b.Email) || a.Phone != b.Phone ||
		a.GroupID != b.GroupID || a.GroupName != b.GroupName || a.FullName != b.FullName {
		return false
	}
	for _, col := range rd.extra {
		if col[i] != col[j] {
			return false
		}
	}
	return true
}
