package main

import (
	"bytes"
	"context"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/atomicfile"
	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
)

type exportOptions struct {
	io     *IO
	global *globalOptions
	api    apiFlags

	Systems []string
	Out     string
	Format  string
}

func newExportCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &exportOptions{io: io, global: g}
	cmd := &cobra.Command{
		Use:   "export [--system ID|NAME]... [--out FILE] [--format csv|sandbox]",
		Short: "Write the live memberships as a CSV (or a sandbox state file)",
		Long: `Write the live memberships of the workspace (or of the --system systems) in the
input format of plan and apply: one row per membership with the system, the
group id and name, the ACS user id, identity, email, phone and full name.
Planning an export against the same workspace shows no changes.

--format sandbox writes the live state as a sandbox state file instead
(systems, groups, users, user identities, memberships; no credentials), so you
can rehearse against a copy of your real workspace with acs-bulk sandbox.

` + exitcode.Help("export"),
		Example: `  acs-bulk export --out memberships.csv
  acs-bulk export --system "Harbor Tower" > harbor.csv
  acs-bulk export --format sandbox --out rehearsal.json && acs-bulk sandbox --state rehearsal.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return exportRun(cmd.Context(), o)
		},
	}
	cmd.Flags().StringArrayVar(&o.Systems, "system", nil, "access system id or name to export (repeatable; default: all)")
	cmd.Flags().StringVarP(&o.Out, "out", "o", "", "write to this file instead of stdout")
	cmd.Flags().StringVar(&o.Format, "format", "csv", "csv (the input format) or sandbox (a sandbox state file)")
	o.api.register(cmd.Flags())
	return cmd
}

func exportRun(ctx context.Context, o *exportOptions) error {
	if o.Format != "csv" && o.Format != "sandbox" {
		return exitcode.Usagef("--format must be csv or sandbox, not %q", o.Format)
	}
	if err := o.api.check(); err != nil {
		return err
	}
	client, err := o.api.client(o.io, o.global, false)
	if err != nil {
		return err
	}
	snap, err := readLive(ctx, client, plan.ReadAll(o.Systems, o.Format == "sandbox"), o.api.Concurrency)
	if err != nil {
		return err
	}
	var data []byte
	if o.Format == "sandbox" {
		data, err = sandbox.FromSnapshot(snap).Marshal()
		if err != nil {
			return err
		}
	} else {
		var buf bytes.Buffer
		if err := desired.WriteCSV(&buf, plan.Export(snap)); err != nil {
			return err
		}
		data = buf.Bytes()
	}
	if o.Out == "" {
		o.Out = atomicfile.Stdout
	}
	return atomicfile.Output(o.Out, data, 0o600, o.io.Out)
}
