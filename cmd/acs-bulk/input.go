package main

import (
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/input"
	"github.com/acs-bulk/acs-bulk/internal/quote"
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

// spec parses the flags into what to read.
func (in *inputFlags) spec() (input.Spec, error) {
	s := input.Spec{Files: in.Files, Rules: in.Rules}
	var err error
	if s.Delimiter, err = oneChar("--delimiter", in.Delimiter, "; or tab"); err != nil {
		return s, err
	}
	if s.ListSeparator, err = oneChar("--list-separator", in.ListSeparator, "| or /"); err != nil {
		return s, err
	}
	for _, c := range in.Columns {
		ours, theirs, ok := strings.Cut(c, "=")
		ours, theirs = strings.TrimSpace(ours), strings.TrimSpace(theirs)
		if !ok || ours == "" || theirs == "" {
			return s, exitcode.Usagef(`--column %s: want OURS=THEIRS, such as email="Work Email"`, quote.Value(c))
		}
		if s.Columns == nil {
			s.Columns = map[string]string{}
		}
		for o := range s.Columns {
			if strings.EqualFold(o, ours) {
				return s, exitcode.Usagef("--column %s: %s is mapped twice", quote.Value(c), quote.Value(ours))
			}
		}
		s.Columns[ours] = theirs
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

// read reads and checks the input the flags name (see input.Read),
// saying its warnings on stderr.
func (in *inputFlags) read(io *IO, g *globalOptions) (*input.Input, error) {
	s, err := in.spec()
	if err != nil {
		return nil, err
	}
	return readInput(io, g, s)
}

// readInput reads s, saying its warnings on stderr.
func readInput(io *IO, g *globalOptions, s input.Spec) (*input.Input, error) {
	return input.Read(s, func(l slog.Level, msg string) { g.say(io.Err, l, msg) })
}
