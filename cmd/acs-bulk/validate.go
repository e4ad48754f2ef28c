package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/quote"
)

type validateOptions struct {
	io     *IO
	global *globalOptions
	input  inputFlags
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
			f, err := o.input.read(o.io, o.global)
			if err != nil {
				return err
			}
			fmt.Fprintf(o.io.Out, "%s: %d row%s valid%s\n", o.input.File, len(f.Rows), plural(len(f.Rows)), describeFile(f))
			return nil
		},
	}
	o.input.register(cmd.Flags(), "desired-state CSV (required)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func describeFile(f *desired.File) string {
	var parts []string
	if how := readAs(f); how != "" {
		parts = append(parts, "read as "+how)
	}
	if len(f.Ignored) > 0 {
		names := make([]string, len(f.Ignored))
		for i, c := range f.Ignored {
			names[i] = quote.Label(c)
		}
		parts = append(parts, "ignored columns: "+strings.Join(names, ", "))
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
