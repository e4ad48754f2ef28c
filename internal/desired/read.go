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
	"os"
	"slices"
	"strings"

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
)

// KnownColumns lists every column Read maps to a Row field. It and the
// lists below are for help texts and hints; do not modify them.
var KnownColumns = []string{
	ColumnSystemID, ColumnSystemName,
	ColumnAcsUserID, ColumnIdentityID, ColumnEmail, ColumnPhone,
	ColumnGroupID, ColumnGroupName,
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
	// column as in the file.
	Columns []string
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
}

// HasColumn reports whether the header has the known column name.
func (f *File) HasColumn(name string) bool { return slices.Contains(f.Columns, name) }

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
	sum := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(r, sum), 64<<10)
	rd := &reader{
		name: name,
		opts: opts,
		file: &File{Name: name},
		sum:  sum,
		br:   br,
		st:   newStore(),
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
		d = detectDelimiter(firstLine(text))
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

	um, err := gocsv.NewUnmarshaller(rd.cr, &csvRow{})
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

// add records an error.
func (rd *reader) add(line int, column, msg string) {
	if len(rd.problems) >= rd.opts.MaxProblems {
		rd.omitted++
		return
	}
	rd.problems = append(rd.problems, &RowError{File: rd.name, Line: line, Column: column, Msg: msg})
}

// warn records a warning.
func (rd *reader) warn(line int, column, msg string) {
	if len(rd.file.Warnings) >= rd.opts.MaxProblems {
		rd.file.WarningsOmitted++
		return
	}
	rd.file.Warnings = append(rd.file.Warnings, Problem{File: rd.name, Line: line, Column: column, Msg: msg})
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

// header checks the header and tells gocsv which columns to map.
func (rd *reader) header(um *gocsv.Unmarshaller) error {
	line := rd.headerLine
	cols := make([]string, len(um.Headers))
	for i, h := range um.Headers {
		cols[i] = normalizeHeader(h)
	}
	rd.file.Columns = cols

	present := map[string]bool{}
	for _, c := range cols {
		present[c] = true
	}
	mapped := make([]string, len(cols)) // what gocsv sees: "" maps to nothing
	first := map[string]int{}
	for i, c := range cols {
		switch {
		case c == "":
			rd.warn(line, "", fmt.Sprintf("header column %d has no name: its values are ignored", i+1))
		case isKnown(c):
			if j, dup := first[c]; dup {
				rd.add(line, c, fmt.Sprintf("duplicate column: columns %d and %d have the same name", j+1, i+1))
				continue
			}
			first[c] = i
			mapped[i] = c
			rd.known++
		default:
			if _, dup := first[c]; dup {
				continue // ignored once already
			}
			first[c] = i
			near := nearestKnown(c)
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
	for _, c := range UserColumns {
		rd.hasUser = rd.hasUser || present[c]
	}
	for _, c := range GroupColumns {
		rd.hasGroup = rd.hasGroup || present[c]
	}
	switch {
	case rd.known == 0 && len(rd.problems) == 0:
		rd.add(line, "", "the header names no known column (is the first line a header?): known columns are "+
			strings.Join(KnownColumns, ", ")+"; the file was read as "+DelimiterName(rd.file.Delimiter)+
			"-separated (pass --delimiter to choose the separator)")
	default:
		if !rd.hasUser {
			rd.add(line, "", "no user column: the header needs one of "+strings.Join(UserColumns, ", "))
		}
		if !rd.hasGroup {
			rd.add(line, "", "no group column: the header needs one of "+strings.Join(GroupColumns, ", "))
		}
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
	rd.st.layout(positions)
	for _, c := range idCheckList {
		if present[c.key.name()] && present[c.val.name()] {
			rd.checks = append(rd.checks, c)
		}
	}
	return nil
}

// nearestKnown returns the known column within edit distance 2 of name that
// is nearest (the first listed on a tie), or "".
func nearestKnown(name string) string {
	if near := similar.Closest(name, KnownColumns, 2); len(near) > 0 {
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
		if rd.row(v.(*csvRow), line) {
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
	rd.file.Rows = rd.st.build(rd.name)
	rd.st = nil // the packed rows are garbage now
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
func (rd *reader) row(c *csvRow, line int) bool {
	v := [nValues]string{
		vSystemID:   strings.TrimSpace(c.SystemID),
		vSystemName: strings.TrimSpace(c.SystemName),
		vAcsUserID:  strings.TrimSpace(c.AcsUserID),
		vIdentityID: strings.TrimSpace(c.UserIdentityID),
		vEmail:      strings.TrimSpace(c.Email),
		vPhone:      strings.TrimSpace(c.Phone),
		vGroupID:    strings.TrimSpace(c.GroupID),
		vGroupName:  strings.TrimSpace(c.GroupName),
		vFullName:   strings.TrimSpace(c.FullName),
	}
	if v == [nValues]string{} {
		rd.warn(line, "", "no value in any known column: row skipped")
		return false
	}
	bad := false
	for i, s := range v {
		if s == "" {
			continue
		}
		why := ""
		switch {
		case i == vEmail && len(s) <= maxValue:
			if why = checkEmail(s); why != "" {
				why = "malformed email " + quote.Value(s) + ": " + why
			}
		default:
			why = checkValue(valueColumns[i], s)
		}
		if why != "" {
			rd.add(line, valueColumns[i], why)
			bad = true
		}
	}
	if rd.hasUser && v[vAcsUserID] == "" && v[vIdentityID] == "" && v[vEmail] == "" && v[vPhone] == "" {
		rd.add(line, "", "no user: fill "+joinOr(presentOf(rd.file.Columns, UserColumns)))
		bad = true
	}
	if rd.hasGroup && v[vGroupID] == "" && v[vGroupName] == "" {
		rd.add(line, "", "no group: fill "+joinOr(presentOf(rd.file.Columns, GroupColumns)))
		bad = true
	}
	if bad {
		return true
	}
	if !rd.st.keep(&v, line) && !rd.st.tooLong {
		rd.st.tooLong = true
		rd.add(line, "", fmt.Sprintf("the file has more than %d lines: split it", rd.st.maxLine))
	}
	return true
}

// joinOr joins names as "a", "a or b", "a, b or c".
func joinOr(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// presentOf returns the names of cols that are in the header.
func presentOf(header, cols []string) []string {
	var out []string
	for _, c := range cols {
		if slices.Contains(header, c) {
			out = append(out, c)
		}
	}
	return out
}

// rowHash hashes every value of r, the email folded by email.Fold.
func (rd *reader) rowHash(r *Row) uint64 {
	h := &rd.h
	h.Reset()
	for _, s := range [...]string{r.SystemID, r.SystemName, r.AcsUserID, r.UserIdentityID, r.Phone, r.GroupID, r.GroupName, r.FullName} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	writeFold(h, r.Email)
	return h.Sum64()
}

// sameRow reports whether a and b carry the same values (the emails by
// email.Equal); File and Line are not compared.
func sameRow(a, b *Row) bool {
	return a.SystemID == b.SystemID && a.SystemName == b.SystemName &&
		a.AcsUserID == b.AcsUserID && a.UserIdentityID == b.UserIdentityID &&
		email.Equal(a.Email, b.Email) && a.Phone == b.Phone &&
		a.GroupID == b.GroupID && a.GroupName == b.GroupName && a.FullName == b.FullName
}
