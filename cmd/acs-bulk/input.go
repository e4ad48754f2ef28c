package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/quote"
)

// inputFlags say how the desired-state CSV is read: validate, plan and
// apply share them.
type inputFlags struct {
	File      string
	Delimiter string
}

func (in *inputFlags) register(f *pflag.FlagSet, fileUsage string) {
	f.StringVarP(&in.File, "file", "f", "", fileUsage)
	f.StringVar(&in.Delimiter, "delimiter", "", "field separator of the CSV: , ; | or tab (default: detected from the header)")
}

// delimiter parses --delimiter: "" detects it.
func (in *inputFlags) delimiter() (rune, error) {
	switch in.Delimiter {
	case "":
		return 0, nil
	case "tab", `\t`:
		return '\t', nil
	}
	r, n := utf8.DecodeRuneInString(in.Delimiter)
	if n != len(in.Delimiter) || r == utf8.RuneError {
		return 0, exitcode.Usagef("--delimiter %s: want one character, such as ; or tab", quote.Value(in.Delimiter))
	}
	return r, nil
}

// read reads and checks the CSV, printing its warnings to stderr (the first
// 50, then a count) and how it was read when that was not plain
// comma-separated UTF-8. A file with problems is a usage error (exit 2):
// nothing is changed.
func (in *inputFlags) read(io *IO, g *globalOptions) (*desired.File, error) {
	d, err := in.delimiter()
	if err != nil {
		return nil, err
	}
	f, err := desired.ReadFile(in.File, desired.Options{Delimiter: d})
	if f != nil {
		shown := min(maxShown, len(f.Warnings))
		for i := range shown {
			g.say(io.Err, slog.LevelWarn, f.Warnings[i].Error())
		}
		if rest := len(f.Warnings) + f.WarningsOmitted - shown; rest > 0 {
			g.say(io.Err, slog.LevelWarn, fmt.Sprintf("... and %d more warnings", rest))
		}
		if how := readAs(f); how != "" && err == nil {
			g.say(io.Err, slog.LevelInfo, fmt.Sprintf("%s: read as %s", in.File, how))
		}
	}
	var problems *desired.Errors
	switch {
	case errors.As(err, &problems):
		return nil, exitcode.With(exitcode.Usage, fmt.Errorf("%s has %d problem%s; nothing was changed:\n%w", in.File, problems.Len(), plural(problems.Len()), err))
	case errors.Is(err, os.ErrNotExist), errors.Is(err, desired.ErrInvalidDelimiter):
		return nil, exitcode.With(exitcode.Usage, err)
	case err != nil:
		return nil, err
	}
	return f, nil
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
