package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
)

type validateOptions struct {
	io     *IO
	global *globalOptions
	File   string
}

func newValidateCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &validateOptions{io: io, global: g}
	cmd := &cobra.Command{
		Use:   "validate --file FILE",
		Short: "Check a desired-state CSV offline",
		Long: `Check a desired-state CSV without calling the API: the header, every row's
identifiers, emails, quoting and field counts, duplicate rows and identifiers
that contradict each other. Every problem is reported at once (the first 50,
then a count) as FILE:LINE: column X: what is wrong.

` + exitcode.Help("validate"),
		Example: `  acs-bulk validate --file samples/migration.csv`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := readDesired(o.io, o.global, o.File)
			if err != nil {
				return err
			}
			fmt.Fprintf(o.io.Out, "%s: %d row%s valid%s\n", o.File, len(f.Rows), plural(len(f.Rows)), describeFile(f))
			return nil
		},
	}
	cmd.Flags().StringVarP(&o.File, "file", "f", "", "desired-state CSV (required)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// readDesired reads and checks the CSV, printing its warnings to stderr. A
// file with problems is a usage error (exit 2): nothing is changed.
func readDesired(io *IO, g *globalOptions, path string) (*desired.File, error) {
	f, err := desired.ReadFile(path, desired.Options{})
	if f != nil {
		shown := min(50, len(f.Warnings))
		for i := range shown {
			g.say(io.Err, slog.LevelWarn, f.Warnings[i].Error())
		}
		if rest := len(f.Warnings) + f.WarningsOmitted - shown; rest > 0 {
			g.say(io.Err, slog.LevelWarn, fmt.Sprintf("... and %d more warnings", rest))
		}
	}
	var problems *desired.Errors
	switch {
	case errors.As(err, &problems):
		return nil, exitcode.With(exitcode.Usage, fmt.Errorf("%s has %d problem%s; nothing was changed:\n%w", path, problems.Len(), plural(problems.Len()), err))
	case errors.Is(err, os.ErrNotExist):
		return nil, exitcode.With(exitcode.Usage, err)
	case err != nil:
		return nil, err
	}
	return f, nil
}

func describeFile(f *desired.File) string {
	var parts []string
	if len(f.Ignored) > 0 {
		parts = append(parts, "ignored columns: "+strings.Join(f.Ignored, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
