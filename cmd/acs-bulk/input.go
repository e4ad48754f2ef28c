package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/quote"
	"github.com/acs-bulk/acs-bulk/internal/rules"
)

// inputFlags say how the desired state is read: validate, plan and apply
// share them.
type inputFlags struct {
	Files         []string
	Delimiter     string
	Rules         string
	Columns       []string
	ListSeparator string
}

func (in *inputFlags) register(f *pflag.FlagSet, fileUsage string) {
	f.StringArrayVarP(&in.Files, "file", "f", nil, fileUsage+"; repeatable (an export per site, say)")
	f.StringVar(&in.Delimiter, "delimiter", "", "field separator of the CSV: , ; | or tab (default: detected from the header)")
	f.StringVar(&in.Rules, "rules", "", "access rules: a CSV whose rows give a group (access_group, acs_system) to every person whose columns match the others")
	f.StringArrayVar(&in.Columns, "column", nil, `read the file's column THEIRS as OURS: --column email="Work Email" (repeatable)`)
	f.StringVar(&in.ListSeparator, "list-separator", "", "separator of the group names in an access_groups cell (default ;)")
}

// inputSpec is what to read and how: from the flags, or from a saved plan.
type inputSpec struct {
	files []string
	rules string
	// columns maps our names to the files' (as given); delim and listSep
	// are 0 when not given.
	columns map[string]string
	delim   rune
	listSep rune
}

// spec parses the flags into what to read.
func (in *inputFlags) spec() (inputSpec, error) {
	s := inputSpec{files: in.Files, rules: in.Rules}
	var err error
	if s.delim, err = oneChar("--delimiter", in.Delimiter, "; or tab"); err != nil {
		return s, err
	}
	if s.listSep, err = oneChar("--list-separator", in.ListSeparator, "| or /"); err != nil {
		return s, err
	}
	for _, c := range in.Columns {
		ours, theirs, ok := strings.Cut(c, "=")
		ours, theirs = strings.TrimSpace(ours), strings.TrimSpace(theirs)
		if !ok || ours == "" || theirs == "" {
			return s, exitcode.Usagef(`--column %s: want OURS=THEIRS, such as email="Work Email"`, quote.Value(c))
		}
		if s.columns == nil {
			s.columns = map[string]string{}
		}
		for o := range s.columns {
			if strings.EqualFold(o, ours) {
				return s, exitcode.Usagef("--column %s: %s is mapped twice", quote.Value(c), quote.Value(ours))
			}
		}
		s.columns[ours] = theirs
	}
	return s, nil
}

// oneChar parses a one-character flag: "" is 0, "tab" (or \t) a tab.
func oneChar(flag, v, example string) (rune, error) {
	switch v {
	case "":
		return 0, nil
	case "tab", `\t`:
		return '\t', nil
	}
	r, n := utf8.DecodeRuneInString(v)
	if n != len(v) || r == utf8.RuneError {
		return 0, exitcode.Usagef("%s %s: want one character, such as %s", flag, quote.Value(v), example)
	}
	return r, nil
}

// input is the desired state as read: the files, the rules, and the
// planner's input expanded from them.
type input struct {
	spec  inputSpec
	files []*desired.File
	rules *rules.Set
	plan  plan.Input
}

// read reads and checks the input the flags name (see readInput).
func (in *inputFlags) read(io *IO, g *globalOptions) (*input, error) {
	s, err := in.spec()
	if err != nil {
		return nil, err
	}
	return readInput(io, g, s)
}

// readInput reads and checks the rules file and every CSV, printing their
// warnings to stderr (the first 50 of each, then a count), how a CSV was
// read when that was not plain comma-separated UTF-8, and the rules that
// match nobody; then expands them into the planner's input. Problems in any
// of them are one usage error (exit 2) listing every one: nothing is
// changed.
func readInput(io *IO, g *globalOptions, s inputSpec) (*input, error) {
	in := &input{spec: s}
	var p problemList
	attrs, rulesErr, err := in.readRules(io, g)
	if err != nil {
		return nil, err
	}
	if err := desired.CheckColumns(s.columns, attrs); err != nil {
		if rulesErr != nil { // the rules' header may be why
			p.add(s.rules, rulesErr)
			return nil, p.err()
		}
		return nil, exitcode.Usagef("--column: %v", err)
	}
	filesOK, err := in.readFiles(io, g, attrs, &p)
	if err != nil {
		return nil, err
	}
	if in.rules != nil {
		// The rules' problems and the columns the exports lack, as one.
		if filesOK && len(in.rules.Conditions) <= rules.MaxConditions {
			var check *desired.Errors
			if errors.As(in.rules.Check(in.files), &check) {
				if rulesErr == nil {
					rulesErr = &desired.Errors{}
				}
				rulesErr.Problems = append(rulesErr.Problems, check.Problems...)
				slices.SortStableFunc(rulesErr.Problems, func(a, b *desired.RowError) int { return a.Line - b.Line })
			}
		}
		if rulesErr != nil {
			p.add(s.rules, rulesErr)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	in.plan = rules.Expand(in.files, in.rules)
	for i := range in.plan.Rules {
		if r := &in.plan.Rules[i]; r.People == 0 {
			msg := fmt.Sprintf("%s:%d: access rule %s -> %s matches nobody", r.File, r.Line, orEveryone(r.Conditions), r.Target())
			if r.Hint != "" {
				msg += " (" + r.Hint + ")"
			}
			g.say(io.Err, slog.LevelWarn, msg)
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
func (in *input) readRules(io *IO, g *globalOptions) (attrs []string, problems *desired.Errors, err error) {
	if in.spec.rules == "" {
		return nil, nil, nil
	}
	set, err := rules.ReadFile(in.spec.rules)
	if set != nil {
		warnAll(io, g, set.Warnings, 0)
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
	in.rules = set
	return attrs, problems, nil
}

// readFiles reads every --file, adding their problems to p; filesOK is
// false when one has problems.
func (in *input) readFiles(io *IO, g *globalOptions, attrs []string, p *problemList) (filesOK bool, err error) {
	s := in.spec
	opts := desired.Options{Delimiter: s.delim, Columns: s.columns, Attributes: attrs, ListSeparator: s.listSep, GroupsOptional: s.rules != ""}
	filesOK = true
	for _, path := range s.files {
		f, err := desired.ReadFile(path, opts)
		if f != nil {
			warnAll(io, g, f.Warnings, f.WarningsOmitted)
			if how := readAs(f); how != "" && err == nil {
				g.say(io.Err, slog.LevelInfo, fmt.Sprintf("%s: read as %s", path, how))
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
		in.files = append(in.files, f)
	}
	return filesOK, nil
}

func orEveryone(conditions string) string {
	if conditions == "" {
		return "(everyone)"
	}
	return conditions
}

// warnAll prints warnings to stderr: the first maxShown, then a count.
func warnAll(io *IO, g *globalOptions, warnings []desired.Problem, omitted int) {
	shown := min(maxShown, len(warnings))
	for i := range shown {
		g.say(io.Err, slog.LevelWarn, warnings[i].Error())
	}
	if rest := len(warnings) + omitted - shown; rest > 0 {
		g.say(io.Err, slog.LevelWarn, fmt.Sprintf("... and %d more warnings", rest))
	}
}

// readAs says how a file was read when it was not comma-separated UTF-8
// ("semicolon-separated, detected from the header; UTF-16LE"), or "".
func readAs(f *desired.File) string {
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

// inputs are the files a plan is computed from, for the saved plan: each
// CSV, then the rules file, with its SHA-256.
func (in *input) inputs() []plan.InputFile {
	var out []plan.InputFile
	for _, f := range in.files {
		out = append(out, plan.InputFile{Path: f.Name, Kind: plan.InputCSV, SHA256: f.SHA256})
	}
	if in.rules != nil {
		out = append(out, plan.InputFile{Path: in.rules.Name, Kind: plan.InputRules, SHA256: in.rules.SHA256})
	}
	return out
}

// reading is how the CSVs were read, for the saved plan.
func (s inputSpec) reading() plan.Reading {
	r := plan.Reading{Columns: s.columns}
	if s.listSep != 0 {
		r.ListSeparator = string(s.listSep)
	}
	if s.delim != 0 {
		r.Delimiter = string(s.delim)
	}
	return r
}

// specOf is how a saved plan's CSVs are read again: files (given again on
// the command line), the plan's rules file, and its reading options.
func specOf(files []string, rulesFile string, r plan.Reading) inputSpec {
	s := inputSpec{files: files, rules: rulesFile, columns: r.Columns}
	if c, _ := utf8.DecodeRuneInString(r.Delimiter); r.Delimiter != "" {
		s.delim = c
	}
	if c, _ := utf8.DecodeRuneInString(r.ListSeparator); r.ListSeparator != "" {
		s.listSep = c
	}
	return s
}
