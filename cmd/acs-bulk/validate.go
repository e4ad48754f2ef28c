package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/input"
	"github.com/acs-bulk/acs-bulk/internal/plan"
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
		Use:   "validate --file FILE [--file FILE...] [--rules RULES]",
		Short: "Check a desired-state CSV offline",
		Long: `Check desired-state CSVs without calling the API: the header (with the
--column mapping), every row's identifiers, emails, group lists, quoting and
field counts, duplicate rows and identifiers that contradict each other; and
the access rules (--rules): their header and values, rules without a group,
duplicate rules and condition columns the exports lack. Every problem is
reported at once (the first 50 of each file, then a count) as
FILE:LINE: column X: what is wrong. With rules it prints how many people each
rule matches, and warns of the rules that match nobody.

` + exitcode.Help("validate"),
		Example: `  acs-bulk validate --file samples/migration.csv
  acs-bulk validate --file hr.csv --rules rules.csv --column email="Work Email" --column department=Dept`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := o.input.read(o.io, o.global)
			if err != nil {
				return err
			}
			for _, f := range in.Files {
				fmt.Fprintf(o.io.Out, "%s: %d row%s valid%s\n", f.Name, len(f.Rows), plural(len(f.Rows)), describeFile(f))
			}
			if in.Rules != nil {
				n := len(in.Rules.Rules)
				fmt.Fprintf(o.io.Out, "%s: %d rule%s valid\n", in.Rules.Name, n, plural(n))
				return plan.WriteRules(o.io.Out, in.Plan.Rules, len(in.Plan.Groupless))
			}
			return nil
		},
	}
	o.input.register(cmd.Flags(), "desired-state CSV or HR export (required)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func describeFile(f *desired.File) string {
	var parts []string
	if how := input.ReadAs(f); how != "" {
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
