// Package rules turns HR exports into desired memberships, as directory
// tools do with group rules on attributes: the groups an access rule gives
// every person whose columns match its conditions, and the groups listed in
// a person's access_groups cell. It reads and checks the rules file, and
// expands the rows of the exports (desired.File) into the planner's input
// (plan.Input); it does no other I/O and never calls the API.
//
// A rules file is a CSV with a header. Its target columns name the group a
// rule gives: acs_access_group_id or access_group (both may be given when
// they name the same group), with acs_system_id or acs_system where a group
// name needs its system; a rule without a system gives the group of that
// name in the system of each person it matches. Every other column is a
// condition on the export's column of that name (after the column
// mapping), matched case-insensitively (the ASCII letters A-Z only, as
// emails are compared); * matches any value, the empty one included, and an
// empty cell matches an empty value.
//
//	department,location,access_group,acs_system
//	Sales,Harbor Tower,Floor 2,Harbor Tower
//	*,Harbor Tower,Lobby,Harbor Tower
//
// A person gets every group whose rule matches, every group of the row's
// access_groups cell, and the row's own group when the export has a group
// column; one person in several rows or files gets the union (the planner
// matches them by the ACS user they resolve to).
package rules

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/email"
	"github.com/acs-bulk/acs-bulk/internal/quote"
	"github.com/acs-bulk/acs-bulk/internal/similar"
)

// Any is the condition value that matches every value.
const Any = "*"

// MaxConditions is the most condition columns a rules file may have.
const MaxConditions = 16

// targetColumns are the columns of a rules file that say which group a rule
// gives; every other column is a condition.
var targetColumns = []string{desired.ColumnSystemID, desired.ColumnSystemName, desired.ColumnGroupID, desired.ColumnGroupName}

// Set is a rules file, read and checked.
type Set struct {
	// Name is the file's name, used in every problem and in the rules'
	// labels.
	Name string
	// SHA256 is the hex SHA-256 of the file's bytes.
	SHA256 string
	// Conditions are the condition columns (normalized header names), in
	// the order of the file.
	Conditions []string
	// Rules are the rules, in file order.
	Rules []Rule
	// Warnings are problems that do not stop the file from being used.
	Warnings []desired.Problem

	headerLine int
}

// Rule is one rule of a Set.
type Rule struct {
	// Line is the physical line the rule starts on.
	Line int
	// The group the rule gives, as written.
	SystemID, SystemName, GroupID, GroupName string
	// Values holds the rule's value for each of the Set's Conditions:
	// Any, or a value (trimmed) that must match the person's exactly but
	// for the case of ASCII letters; "" matches an empty value.
	Values []string
}

// ReadFile opens path and reads it with Read.
func ReadFile(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(path, f)
}

// Read reads a rules file from r, naming it name in problems. It reports
// every problem at once as a *desired.Errors (each problem a
// *desired.RowError with the line and column), together with the Set read
// so far: the file's syntax and values, a header without a target column,
// a condition column named twice, too many conditions, a rule that names no
// group, and a rule that repeats an earlier one. A failure to read r is
// returned wrapped, as a plain error.
func Read(name string, r io.Reader) (*Set, error) {
	t, err := desired.ReadTable(name, r, desired.TableOptions{Known: isRulesColumn})
	var problems []*desired.RowError
	omitted := 0
	var de *desired.Errors
	switch {
	case errors.As(err, &de):
		problems, omitted = de.Problems, de.Omitted
	case err != nil:
		return nil, err
	}
	s := &Set{Name: name, SHA256: t.SHA256, Warnings: t.Warnings, headerLine: t.HeaderLine}
	add := func(line int, col, msg string) {
		problems = append(problems, &desired.RowError{File: name, Line: line, Column: col, Msg: msg})
	}
	if t.Columns == nil {
		return s, errorsOf(problems, omitted)
	}

	// The header: targets and conditions.
	pos := map[string]int{} // a target column -> its position
	var condPos []int
	seen := map[string]int{}
	for i, c := range t.Columns {
		if c == "" {
			continue
		}
		if j, dup := seen[c]; dup {
			add(t.HeaderLine, c, fmt.Sprintf("duplicate column: columns %d and %d have the same name", j+1, i+1))
			continue
		}
		seen[c] = i
		switch {
		case slices.Contains(targetColumns, c):
			pos[c] = i
		case c == desired.ColumnGroupList:
			add(t.HeaderLine, c, "a rule gives one group: name it in "+desired.ColumnGroupName+" (or "+desired.ColumnGroupID+"), one rule a line")
		default:
			if near := similar.Closest(c, targetColumns, 2); len(near) > 0 && !slices.Contains(t.Columns, near[0]) {
				add(t.HeaderLine, c, "unknown column: did you mean "+near[0]+"? (every other column is a condition on the export's column of that name)")
				continue
			}
			s.Conditions = append(s.Conditions, c)
			condPos = append(condPos, i)
		}
	}
	_, hasID := pos[desired.ColumnGroupID]
	_, hasName := pos[desired.ColumnGroupName]
	if !hasID && !hasName {
		add(t.HeaderLine, "", "no group column: a rules file needs "+desired.ColumnGroupName+" or "+desired.ColumnGroupID+" to say which group each rule gives")
	}
	if len(s.Conditions) > MaxConditions {
		add(t.HeaderLine, "", fmt.Sprintf("%d condition columns: a rules file may have at most %d", len(s.Conditions), MaxConditions))
	}

	// The rules.
	value := func(rec desired.Record, col string) string {
		if i, ok := pos[col]; ok && i < len(rec.Values) {
			return rec.Values[i]
		}
		return ""
	}
	first := map[string]int{} // a rule's key -> the line it is first on
	for _, rec := range t.Records {
		ru := Rule{
			Line:     rec.Line,
			SystemID: value(rec, desired.ColumnSystemID), SystemName: value(rec, desired.ColumnSystemName),
			GroupID: value(rec, desired.ColumnGroupID), GroupName: value(rec, desired.ColumnGroupName),
		}
		for _, i := range condPos {
			ru.Values = append(ru.Values, rec.Values[i])
		}
		if ru.GroupID == "" && ru.GroupName == "" {
			if hasID || hasName {
				add(rec.Line, "", "no group: fill "+joinOr(presentTargets(pos)))
			}
			continue
		}
		k := ru.key()
		if l, dup := first[k]; dup {
			add(rec.Line, "", fmt.Sprintf("duplicate rule: line %d has the same conditions and group", l))
			continue
		}
		first[k] = rec.Line
		s.Rules = append(s.Rules, ru)
	}
	if len(t.Records) == 0 && len(problems) == 0 {
		s.Warnings = append(s.Warnings, desired.Problem{File: name, Line: t.HeaderLine, Msg: "the rules file has a header but no rules: nobody gets a group from it"})
	}
	return s, errorsOf(problems, omitted)
}

// isRulesColumn reports whether a header name is a target column, for the
// delimiter detection.
func isRulesColumn(name string) bool { return slices.Contains(targetColumns, name) }

// presentTargets lists the group columns of the header.
func presentTargets(pos map[string]int) []string {
	var out []string
	for _, c := range []string{desired.ColumnGroupName, desired.ColumnGroupID} {
		if _, ok := pos[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

// key is what makes two rules the same: their group as written (system
// names compared as the planner compares them) and their condition values
// compared as they match.
func (r *Rule) key() string {
	var b strings.Builder
	for _, v := range []string{r.SystemID, email.Fold(r.SystemName), r.GroupID, r.GroupName} {
		b.WriteString(v)
		b.WriteByte(0)
	}
	for _, v := range r.Values {
		b.WriteString(email.Fold(v))
		b.WriteByte(0)
	}
	return b.String()
}

// conditions renders the rule's conditions as written, wildcards left out:
// "department=Sales location=Harbor Tower"; a value that does not read
// safely as it is (empty, or with a quote or a control character) is
// quoted.
func (s *Set) conditions(r *Rule) string {
	var parts []string
	for c, v := range r.Values {
		if v == Any {
			continue
		}
		shown := quote.Label(v) // quoted when empty or unsafe as it is
		parts = append(parts, s.Conditions[c]+"="+shown)
	}
	return strings.Join(parts, " ")
}

// Check reports, as a *desired.Errors on the rules file's header line, the
// condition columns an export lacks (after its column mapping), with the
// closest of its columns.
func (s *Set) Check(files []*desired.File) error {
	var problems []*desired.RowError
	for _, c := range s.Conditions {
		for _, f := range files {
			if f.HasColumn(c) || f.Columns == nil {
				continue
			}
			msg := fmt.Sprintf("condition column %s is not in %s", c, f.Name)
			var unread []string // the file's columns read as nothing, as it spells them
			for i, col := range f.Columns {
				if slices.Contains(f.Ignored, col) {
					unread = append(unread, f.Header[i])
				}
			}
			if near := similar.Closest(c, unread, max(2, utf8.RuneCountInString(c)/3)); len(near) > 0 {
				msg += fmt.Sprintf("; did you mean %s (--column %s=%s)?", quote.Value(near[0]), c, quote.Value(near[0]))
			} else if len(unread) > 0 {
				for i, u := range unread {
					unread[i] = quote.Value(u)
				}
				if len(unread) > 8 {
					unread = append(unread[:8], "...")
				}
				msg += fmt.Sprintf(" (its other columns: %s; --column %s=NAME reads one of them as %s)", strings.Join(unread, ", "), c, c)
			}
			problems = append(problems, &desired.RowError{File: s.Name, Line: s.headerLine, Column: c, Msg: msg})
		}
	}
	return errorsOf(problems, 0)
}

// errorsOf returns problems as a *desired.Errors sorted by line, or nil.
func errorsOf(problems []*desired.RowError, omitted int) error {
	if len(problems) == 0 && omitted == 0 {
		return nil
	}
	slices.SortStableFunc(problems, func(a, b *desired.RowError) int { return a.Line - b.Line })
	return &desired.Errors{Problems: problems, Omitted: omitted}
}

// joinOr joins names as "a", "a or b".
func joinOr(names []string) string { return strings.Join(names, " or ") }
