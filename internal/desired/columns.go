package desired

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/acs-bulk/acs-bulk/internal/quote"
	"github.com/acs-bulk/acs-bulk/internal/similar"
)

// ErrInvalidColumn is wrapped by the error Read and CheckColumns return for
// an Options.Columns entry that cannot be used: our name is none of the
// columns Read knows nor an attribute, the file's name is empty, or two of
// our known columns would read one column of the file.
var ErrInvalidColumn = errors.New("invalid column mapping")

// ErrInvalidListSeparator is wrapped by the error Read returns for an
// Options.ListSeparator that cannot separate group names: a quote, a line
// break, white space, an invalid character, or the field delimiter itself.
var ErrInvalidListSeparator = errors.New("invalid list separator")

// DefaultListSeparator separates the group names of an access_groups cell
// when Options.ListSeparator is not set.
const DefaultListSeparator = ';'

// maxList is the most bytes an access_groups cell may have: room for
// several dozen group names of the widest kind, each at most maxValue.
const maxList = 16 << 10

// maxAttributes is the most attribute columns (rule conditions) a read
// keeps.
const maxAttributes = 16

// normalizeColumns validates a column mapping (ours -> theirs, as given)
// against the attributes and returns it normalized both sides, as header
// names are compared; the errors wrap ErrInvalidColumn.
func normalizeColumns(columns map[string]string, attributes []string) (map[string]string, error) {
	if len(columns) == 0 {
		return nil, nil
	}
	ours := make([]string, 0, len(columns))
	for o := range columns {
		ours = append(ours, o)
	}
	slices.Sort(ours)
	out := make(map[string]string, len(columns))
	knownFrom := map[string]string{} // theirs -> the known column reading it
	for _, o := range ours {
		theirs := columns[o]
		spec := quote.Value(o + "=" + theirs)
		no, nt := normalizeHeader(o), normalizeHeader(theirs)
		switch {
		case no == "":
			return nil, fmt.Errorf("%w %s: no column name before =", ErrInvalidColumn, spec)
		case nt == "":
			return nil, fmt.Errorf("%w %s: no column of the file after =", ErrInvalidColumn, spec)
		case !isKnown(no) && !slices.Contains(attributes, no):
			names := append(slices.Clone(KnownColumns), attributes...)
			hint := ""
			if near := similar.Closest(no, names, 2); len(near) > 0 {
				hint = "; did you mean " + near[0] + "?"
			}
			return nil, fmt.Errorf("%w %s: %s is neither a column acs-bulk reads (%s) nor a condition of the access rules%s",
				ErrInvalidColumn, spec, quote.Label(no), strings.Join(KnownColumns, ", "), hint)
		}
		if _, dup := out[no]; dup {
			return nil, fmt.Errorf("%w %s: %s is mapped twice", ErrInvalidColumn, spec, no)
		}
		if isKnown(no) {
			if other, ok := knownFrom[nt]; ok {
				return nil, fmt.Errorf("%w %s: %s and %s would both read column %s", ErrInvalidColumn, spec, other, no, quote.Value(theirs))
			}
			knownFrom[nt] = no
		}
		out[no] = nt
	}
	return out, nil
}

// CheckColumns checks a column mapping as Read does (our name -> the
// file's, e.g. "email" -> "Work Email"): each of our names must be a column
// Read knows or one of attributes, and no two known columns may read one
// column of the file. The error wraps ErrInvalidColumn.
func CheckColumns(columns map[string]string, attributes []string) error {
	_, err := normalizeColumns(columns, normalizeAll(attributes))
	return err
}

// normalizeAll returns names normalized as header names are.
func normalizeAll(names []string) []string {
	if names == nil {
		return nil
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = normalizeHeader(n)
	}
	return out
}

// checkListSeparator returns an error wrapping ErrInvalidListSeparator when
// sep cannot separate group names in a file delimited by delim (0: not
// known yet).
func checkListSeparator(sep, delim rune) error {
	name := strconv.QuoteRune(sep)
	switch {
	case sep == '"' || sep == '\r' || sep == '\n' || sep == utf8.RuneError || !utf8.ValidRune(sep) || sep < ' ' || isSpaceDelimiter(sep):
		return fmt.Errorf("%w %s: group names cannot be separated by a quote, white space, a control or an invalid character", ErrInvalidListSeparator, name)
	case sep == delim:
		return fmt.Errorf("%w %s: it is also the field delimiter", ErrInvalidListSeparator, name)
	}
	return nil
}

// SplitList returns the group names of an access_groups cell separated by
// sep: trimmed, empty names (a trailing separator, say) left out, each name
// once, in the order written.
func SplitList(cell string, sep rune) []string {
	if cell == "" {
		return nil
	}
	var out []string
	for part := range strings.SplitSeq(cell, string(sep)) {
		if p := strings.TrimSpace(part); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// ListedGroups returns the group names of row i's access_groups cell (see
// SplitList), or nil when the file has no such column.
func (f *File) ListedGroups(i int) []string {
	if f.Lists == nil {
		return nil
	}
	return SplitList(f.Lists[i], f.ListSeparator)
}

// Spelling returns how the file spells our column name: the header it was
// mapped from by Options.Columns, or "" when it was not renamed.
func (f *File) Spelling(column string) string { return f.spelled[column] }

// HeaderSpellings returns our mapped column names and how the file spells
// each, for messages about this file's columns made elsewhere (the
// planner's).
func (f *File) HeaderSpellings() map[string]string { return maps.Clone(f.spelled) }
