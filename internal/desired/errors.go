package desired

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/quote"
)

// RowError is one problem found in a desired-state file: where it is and what
// is wrong. Every problem Read reports, error or warning, has this type.
type RowError struct {
	// File is the name given to Read; Line is the 1-based physical line the
	// problem is about (the line a record starts on, or the header line).
	File string
	Line int
	// Column is the normalized header name the problem is about (our name
	// for a column a mapping renames), or empty when the problem concerns
	// the whole row or file.
	Column string
	// Header is the column's name as the file spells it, when a mapping
	// (Options.Columns) renamed it to Column; empty otherwise.
	Header string
	// Msg says what is wrong, in lower case.
	Msg string
}

// Problem is the name used for a RowError that is reported as a warning
// (File.Warnings): the same type, so callers handle both alike.
type Problem = RowError

// Error formats the problem as FILE:LINE: column X: msg, leaving out the
// column part when no column applies. A column name that does not read
// safely as it is (one from the header that is not known, with a control
// character or a quote in it) is shown quoted and cut by quote.Label. A
// mapped column is named as the file spells it, quoted, then by our name:
// hr.csv:12: column "Work Email" (email): msg.
func (e *RowError) Error() string {
	var b strings.Builder
	b.Grow(len(e.File) + len(e.Header) + len(e.Column) + len(e.Msg) + 28)
	b.WriteString(e.File)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteString(": ")
	b.WriteString(ColumnLabel(e.Column, e.Header))
	b.WriteString(e.Msg)
	return b.String()
}

// ColumnLabel is the column part of a problem's message: "column email: ",
// "column \"Work Email\" (email): " for a mapped column (header is the
// file's spelling), or "" when column is empty.
func ColumnLabel(column, header string) string {
	switch {
	case column == "":
		return ""
	case header != "":
		return "column " + quote.Value(header) + " (" + quote.Label(column) + "): "
	}
	return "column " + quote.Label(column) + ": "
}

// Errors is the error Read returns when a file has problems: every problem
// found, in line order. Nothing should be changed when it is returned.
type Errors struct {
	// Problems holds the problems kept, sorted by line (at most
	// Options.MaxProblems of them).
	Problems []*RowError
	// Omitted counts problems found beyond Options.MaxProblems and not kept.
	Omitted int
	// Show is how many problems Error prints before the count of the rest.
	Show int
}

// ExitCode makes a file with problems a usage error: the input must change.
func (e *Errors) ExitCode() int { return exitcode.Usage }

// Len returns the number of problems found, kept or not.
func (e *Errors) Len() int { return len(e.Problems) + e.Omitted }

// Error prints the first Show problems, one a line, then
// "... and N more problems" when there are more.
func (e *Errors) Error() string {
	show := e.Show
	if show <= 0 {
		show = defaultMaxErrors
	}
	var b strings.Builder
	for i, p := range e.Problems {
		if i == show {
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Error())
	}
	if rest := e.Len() - min(show, len(e.Problems)); rest > 0 {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "... and %d more problem%s", rest, plural(rest))
	}
	return b.String()
}

// Unwrap returns the kept problems so that errors.As finds a *RowError.
func (e *Errors) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
