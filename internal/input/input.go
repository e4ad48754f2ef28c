// Package input reads the input of a plan: the CSV files (memberships, or
// HR exports with their own column names and a list column) and the access
// rules, checked together so that every problem of every file is one error,
// and expanded into the planner's input. It also says how they were read,
// for a saved plan to read them again the same way.
package input

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/rules"
)

// maxShown is how many warnings of a file are said before a count.
const maxShown = 50

// Spec is what to read and how: from the command line, or from a saved
// plan.
type Spec struct {
	Files []string
	Rules string
	// Columns maps our names to the files' (as given); Delimiter and
	// ListSeparator are 0 when not given.
	Columns       map[string]string
	Delimiter     rune
	ListSeparator rune
}

// Input is the desired state as read: the files, the rules, and the
// planner's input expanded from them.
type Input struct {
	Spec  Spec
	Files []*desired.File
	Rules *rules.Set
	Plan  plan.Input
}

// Read reads and checks the rules file and every CSV, saying their
// warnings (the first 50 of each, then a count), how a CSV was
// read when that was not plain comma-separated UTF-8, and the rules that
// match nobody; then expands them into the planner's input. Problems in any
// of them are one usage error (exit 2) listing every one: nothing is
// changed.
func Read(s Spec, say func(slog.Level, string)) (*Input, error) {
	in := &Input{Spec: s}
	var p problemList
	attrs, rulesErr, err := in.readRules(say)
	if err != nil {
		return nil, err
	}
	if err := desired.CheckColumns(s.Columns, attrs); err != nil {
		if rulesErr != nil { // the rules' header may be why
			p.add(s.Rules, rulesErr)
			return nil, p.err()
		}
		return nil, exitcode.Usagef("--column: %v", err)
	}
	filesOK, err := in.readFiles(say, attrs, &p)
	if err != nil {
		return nil, err
	}
	if in.Rules != nil {
		// The rules' problems and the columns the exports lack, as one.
		if filesOK && len(in.Rules.Conditions) <= rules.MaxConditions {
			var check *desired.Errors
			if errors.As(in.Rules.Check(in.Files), &check) {
				if rulesErr == nil {
					rulesErr = &desired.Errors{}
				}
				rulesErr.Problems = append(rulesErr.Problems, check.Problems...)
				slices.SortStableFunc(rulesErr.Problems, func(a, b *desired.RowError) int { return a.Line - b.Line })
			}
		}
		if rulesErr != nil {
			p.add(s.Rules, rulesErr)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	in.Plan = rules.Expand(in.Files, in.Rules)
	for i := range in.Plan.Rules {
		if r := &in.Plan.Rules[i]; r.People == 0 {
			msg := fmt.Sprintf("%s:%d: access rule %s -> %s matches nobody", r.File, r.Line, orEveryone(r.Conditions), r.Target())
			if r.Hint != "" {
				msg += " (" + r.Hint + ")"
			}
			say(slog.LevelWarn, msg)
		}
	}
	return in, nil
}

// problemList gathers the problems of several input files, for one exit 2.
type problemList struct {
	failed []string // "FILE has N problems"
	errs   []error
}

func (p *problemList) add(name string, err error) {
	var problems *desired.Errors
	if errors.As(err, &problems) {
		p.failed = append(p.failed, fmt.Sprintf("%s has %d problem%s", name, problems.Len(), plural(problems.Len())))
	}
	p.errs = append(p.errs, err)
}

// err is the usage error of every problem found, or nil.
func (p *problemList) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return exitcode.With(exitcode.Usage, fmt.Errorf("%s; nothing was changed:\n%w", strings.Join(p.failed, ", "), errors.Join(p.errs...)))
}

// readRules reads the rules file, if any: its condition columns (the
// attributes the exports are read with) and its problems, kept for the
// check against the exports.
func (in *Input) readRules(say func(slog.Level, string)) (attrs []string, problems *desired.Errors, err error) {
	if in.Spec.Rules == "" {
		return nil, nil, nil
	}
	set, err := rules.ReadFile(in.Spec.Rules)
	if set != nil {
		warnAll(say, set.Warnings, 0)
		if len(set.Conditions) <= rules.MaxConditions { // more are a problem of the rules file
			attrs = set.Conditions
		}
	}
	switch {
	case errors.As(err, &problems):
	case errors.Is(err, os.ErrNotExist):
		return nil, nil, exitcode.With(exitcode.Usage, fmt.Errorf("--rules: %w", err))
	case err != nil:
		return nil, nil, err
	}
	in.Rules = set
	return attrs, problems, nil
}

// readFiles reads every --file, adding their problems to p; filesOK is
// false when one has problems.
func (in *Input) readFiles(say func(slog.Level, string), attrs []string, p *problemList) (filesOK bool, err error) {
	s := in.Spec
	opts := desired.Options{Delimiter: s.Delimiter, Columns: s.Columns, Attributes: attrs, ListSeparator: s.ListSeparator, GroupsOptional: s.Rules != ""}
	filesOK = true
	for _, path := range s.Files {
		f, err := desired.ReadFile(path, opts)
		if f != nil {
			warnAll(say, f.Warnings, f.WarningsOmitted)
			if how := ReadAs(f); how != "" && err == nil {
				say(slog.LevelInfo, fmt.Sprintf("%s: read as %s", path, how))
			}
		}
		var problems *desired.Errors
		switch {
		case errors.As(err, &problems):
			p.add(path, err)
			filesOK = false
		case errors.Is(err, os.ErrNotExist), errors.Is(err, desired.ErrInvalidDelimiter), errors.Is(err, desired.ErrInvalidListSeparator),
			errors.Is(err, desired.ErrInvalidColumn):
			return false, exitcode.With(exitcode.Usage, err)
		case err != nil:
			return false, err
		}
		in.Files = append(in.Files, f)
	}
	return filesOK, nil
}

func orEveryone(conditions string) string {
	if conditions == "" {
		return "(everyone)"
	}
	return conditions
}

// warnAll says the warnings: the first maxShown, then a count.
func warnAll(say func(slog.Level, string), warnings []desired.Problem, omitted int) {
	shown := min(maxShown, len(warnings))
	for i := range shown {
		say(slog.LevelWarn, warnings[i].Error())
	}
	if rest := len(warnings) + omitted - shown; rest > 0 {
		say(slog.LevelWarn, fmt.Sprintf("... and %d more warnings", rest))
	}
}

// ReadAs says how a file was read when it was not comma-separated UTF-8
// ("semicolon-separated, detected from the header; UTF-16LE"), or "".
func ReadAs(f *desired.File) string {
	var parts []string
	if f.Delimiter != ',' && f.Delimiter != 0 {
		s := desired.DelimiterName(f.Delimiter) + "-separated"
		if f.DelimiterDetected {
			s += ", detected from the header (--delimiter sets it)"
		}
		parts = append(parts, s)
	}
	if f.Encoding != "" && f.Encoding != "UTF-8" {
		parts = append(parts, f.Encoding)
	}
	return strings.Join(parts, "; ")
}

// Inputs are the files a plan is computed from, for the saved plan: each
// CSV, then the rules file, with its SHA-256.
func (in *Input) Inputs() []plan.InputFile {
	var out []plan.InputFile
	for _, f := range in.Files {
		out = append(out, plan.InputFile{Path: f.Name, Kind: plan.InputCSV, SHA256: f.SHA256})
	}
	if in.Rules != nil {
		out = append(out, plan.InputFile{Path: in.Rules.Name, Kind: plan.InputRules, SHA256: in.Rules.SHA256})
	}
	return out
}

// Reading is how the CSVs were read, for the saved plan.
func (s Spec) Reading() plan.Reading {
	r := plan.Reading{Columns: s.Columns}
	if s.ListSeparator != 0 {
		r.ListSeparator = string(s.ListSeparator)
	}
	if s.Delimiter != 0 {
		r.Delimiter = string(s.Delimiter)
	}
	return r
}

// SpecOf is how a saved plan's CSVs are read again: files (given again on
// the command line), the plan's rules file, and its reading options.
func SpecOf(files []string, rulesFile string, r plan.Reading) Spec {
	s := Spec{Files: files, Rules: rulesFile, Columns: r.Columns}
	if c, _ := utf8.DecodeRuneInString(r.Delimiter); r.Delimiter != "" {
		s.Delimiter = c
	}
	if c, _ := utf8.DecodeRuneInString(r.ListSeparator); r.ListSeparator != "" {
		s.ListSeparator = c
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
