package desired

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Table is a CSV file other than a desired-state file (the access rules)
// read with the same rules as Read: encoding, byte order mark, delimiter
// detection, quoting, header names and value checks, and problems with
// their file, line and column. What the columns mean is the caller's
// business.
type Table struct {
	// Name is the name given to ReadTable, used in every problem.
	Name string
	// Columns is the normalized header, Header the names as the file
	// spells them, and HeaderLine the line it is on.
	Columns    []string
	Header     []string
	HeaderLine int
	// Records are the non-empty records after the header, in file order,
	// records with a problem included (the caller may report more about
	// them): the physical line each starts on and its values, trimmed, one
	// per column.
	Records []Record
	// Warnings holds problems that do not stop the file from being used
	// (empty rows, a column without a name).
	Warnings []Problem
	// SHA256, Encoding, Delimiter and DelimiterDetected are as in File.
	SHA256            string
	Encoding          string
	Delimiter         rune
	DelimiterDetected bool
}

// Record is one record of a Table.
type Record struct {
	Line   int
	Values []string
}

// TableOptions tunes ReadTable.
type TableOptions struct {
	// Delimiter separates the fields; 0 detects it from the header, as
	// Read does, among the names Known reports (comma on a tie).
	Delimiter rune
	// Known reports whether a normalized header name is one the caller
	// reads; it guides the delimiter detection only.
	Known func(name string) bool
	// MaxErrors and MaxProblems are as in Options.
	MaxErrors   int
	MaxProblems int
}

// ReadTableFile opens path and reads it with ReadTable, naming it path.
func ReadTableFile(path string, opts TableOptions) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadTable(path, f, opts)
}

// ReadTable reads a CSV file with a header from r to its end. Every value
// must be valid UTF-8, at most 1 KiB long and free of control characters;
// syntax errors and bad values are problems, returned all at once as an
// *Errors with the Table read (its records, good and bad). A failure to
// read r is returned wrapped, as a plain error.
func ReadTable(name string, r io.Reader, opts TableOptions) (*Table, error) {
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = defaultMaxErrors
	}
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = defaultMaxProblems
	}
	if opts.Known == nil {
		opts.Known = func(string) bool { return false }
	}
	if opts.Delimiter != 0 {
		if err := checkDelimiter(opts.Delimiter); err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
	}
	sum := sha256.New()
	rd := &reader{
		name: name,
		opts: Options{MaxErrors: opts.MaxErrors, MaxProblems: opts.MaxProblems, Delimiter: opts.Delimiter},
		file: &File{Name: name, spelled: map[string]string{}},
		sum:  sum,
		br:   bufio.NewReaderSize(io.TeeReader(r, sum), 64<<10),
	}
	t := &Table{Name: name}
	if err := rd.table(t, opts.Known); err != nil {
		return nil, err
	}
	_, err := rd.finish()
	t.Warnings, t.SHA256, t.Encoding = rd.file.Warnings, rd.file.SHA256, rd.file.Encoding
	t.Delimiter, t.DelimiterDetected = rd.file.Delimiter, rd.file.DelimiterDetected
	if err != nil && !isProblems(err) {
		return nil, err
	}
	return t, err
}

func isProblems(err error) bool {
	var e *Errors
	return errors.As(err, &e)
}

// table reads the header and records of a Table.
func (rd *reader) table(t *Table, known func(string) bool) error {
	rd.file.Encoding = "UTF-8"
	text := rd.openText(rd.br)
	if text == nil {
		return nil
	}
	d := rd.opts.Delimiter
	if d == 0 {
		d = detectDelimiter(firstLine(text), known)
		rd.file.DelimiterDetected = true
	}
	rd.file.Delimiter = d
	rd.cr = csv.NewReader(text)
	rd.cr.Comma = d
	rd.cr.TrimLeadingSpace = !isSpaceDelimiter(d)
	head, err := rd.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			rd.add(1, "", "empty file: no header row")
		case errors.As(err, &pe):
			rd.parseError(pe)
		default:
			return fmt.Errorf("read %s: %w", rd.name, err)
		}
		return nil
	}
	t.HeaderLine, _ = rd.cr.FieldPos(0)
	for i, h := range head {
		t.Columns = append(t.Columns, normalizeHeader(h))
		t.Header = append(t.Header, spell(h))
		if t.Columns[i] == "" {
			rd.warn(t.HeaderLine, "", fmt.Sprintf("header column %d has no name: its values are ignored", i+1))
		}
	}
	for {
		rec, err := rd.cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("read %s: %w", rd.name, err)
			}
			rd.parseError(pe)
			continue
		}
		line, _ := rd.cr.FieldPos(0)
		empty := true
		for i, v := range rec {
			v = strings.TrimSpace(v)
			rec[i] = v
			if v == "" {
				continue
			}
			empty = false
			if why := checkValue(t.Columns[i], v); why != "" && t.Columns[i] != "" {
				rd.add(line, t.Columns[i], why)
			}
		}
		if empty {
			rd.warn(line, "", "an empty row: skipped")
			continue
		}
		t.Records = append(t.Records, Record{Line: line, Values: rec})
	}
}
