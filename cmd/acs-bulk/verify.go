package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/batch"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/report"
)

type verifyOptions struct {
	io      *IO
	global  *globalOptions
	api     apiFlags
	From    string
	Timeout time.Duration
	now     func() time.Time
}

func newVerifyCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &verifyOptions{io: io, global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "verify --from DIR",
		Short: "Check again that a finished run's changes reached the access systems",
		Long: `Read the live state of an earlier run's succeeded operations, as apply --verify
does, and write that run's reports again with what it finds, under the run's
lock. Each succeeded operation is confirmed, pending (still on its way when
--verify-timeout ran out), deferred (scheduled by Seam; not a failure, not
waited for), failed_on_acs (the access system refused it: Seam's message is
kept) or not_reflected (the live state does not show it and nothing says
why). The last two are failures: they are in failures.csv, acs-bulk rerun
--from DIR retries them, and verify exits 3.

` + exitcode.Help("verify"),
		Example: `  acs-bulk verify --from acs-bulk-runs/20261122T020000Z-1a2b3c4d
  acs-bulk verify --from runs/nightly --verify-timeout 10m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return verifyRun(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.From, "from", "", "report directory of the run to verify (required)")
	cmd.Flags().DurationVar(&o.Timeout, "verify-timeout", 2*time.Minute, "how long to wait for changes still pending")
	o.api.register(cmd.Flags())
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func verifyRun(ctx context.Context, o *verifyOptions) error {
	if err := o.api.check(); err != nil {
		return err
	}
	if o.Timeout <= 0 {
		return exitcode.Usagef("--verify-timeout %s: want a duration above 0, such as 2m", o.Timeout)
	}
	client, err := o.api.client(o.io, o.global, true)
	if err != nil {
		return err
	}
	log, err := o.global.logger(o.io.Err)
	if err != nil {
		return err
	}
	deps := batch.Deps{Client: client, Endpoint: client.Endpoint(), Command: o.global.Args, Now: o.now, Logger: log}
	out, err := batch.Reverify(ctx, deps, report.Dir(o.From), o.Timeout, o.api.Concurrency)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.io.Out, "Verified: %s. Report: %s\n", verifyCounts(out.Verified), out.Dir)
	return out.Err()
}

// verifyCounts renders verify's outcomes for a summary line.
func verifyCounts(v map[string]int) string {
	return fmt.Sprintf("%d confirmed, %d pending, %d deferred, %d failed on the access system, %d not reflected",
		v[report.VerifyConfirmed], v[report.VerifyPending], v[report.VerifyDeferred], v[report.VerifyFailedOnAcs], v[report.VerifyNotReflected])
}
