package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/batch"
	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/input"
	"github.com/acs-bulk/acs-bulk/internal/plan"
)

type applyOptions struct {
	io     *IO
	global *globalOptions
	plan   planFlags
	api    apiFlags
	run    runFlags

	PlanFile   string
	AllowStale bool
	now        func() time.Time
	// changed says whether a flag was given on the command line.
	changed func(name string) bool
}

// planOnlyFlags shape a plan: a saved plan keeps the ones it was made with.
var planOnlyFlags = []string{"mode", "scope", "system", "max-removals", "max-adds", "allow-empty-groups", "skip-unresolved", "delimiter",
	"rules", "column", "list-separator"}

func newApplyCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &applyOptions{io: io, global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "apply (--file FILE... [plan flags] | --plan PLAN.json) [--yes]",
		Short: "Plan, then change the memberships, with a report of every operation",
		Long: `Compute the plan (as plan does) and execute it: adds first, then removes
(make-before-break), with bounded concurrency (--concurrency), paced by
--rate/--burst with adaptive slow-down on 429, and retries of 429, 5xx,
timeouts and dropped connections (--max-attempts).

On a terminal it shows the plan's summary and asks; --yes skips the question,
and without a terminal (cron) --yes is required. With --plan it executes a plan
saved by plan --out: when --file is given too, each file's hash (and the
rules file's) must be the one the plan recorded, and the groups are read again; if their members changed since the plan was
made it refuses (exit 4) and says what changed, unless --allow-stale, which
skips the operations already satisfied.

Each run writes into --report-dir (default ./acs-bulk-runs/<UTC time>-<run id>/):
plan.json (the operations), journal.jsonl (one line per finished operation,
synced as it finishes), and at the end report.json, report.csv and failures.csv
(0600). acs-bulk rerun --from DIR retries what failed; acs-bulk revert --from DIR
undoes what succeeded. One run at a time per report directory and per
workspace (an OS file lock, released if the process dies).

A 401/403 stops scheduling at once; --max-errors N stops after N failures;
SIGINT/SIGTERM stop scheduling, let requests in flight finish (--drain-timeout),
write the reports and exit 130. Operations not started are recorded
not_attempted.

` + exitcode.Help("apply"),
		Example: `  acs-bulk apply --file samples/migration.csv
  acs-bulk apply --file nightly.csv --yes --log-format json --max-removals 5%
  acs-bulk plan --file f.csv --out plan.json && acs-bulk apply --plan plan.json --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.changed = cmd.Flags().Changed
			c := newRunCmd(o.io, o.global, &o.api, &o.run, o.now)
			return c.finish(batch.Apply, applyRun(cmd.Context(), o, c))
		},
	}
	o.plan.register(cmd.Flags())
	o.api.register(cmd.Flags())
	o.run.register(cmd.Flags())
	cmd.Flags().StringVar(&o.PlanFile, "plan", "", "execute this saved plan (from plan --out) instead of planning")
	cmd.Flags().BoolVar(&o.AllowStale, "allow-stale", false, "with --plan: apply even if the groups changed since the plan, skipping operations already satisfied")
	return cmd
}

func applyRun(ctx context.Context, o *applyOptions, c *runCmd) error {
	if o.PlanFile == "" && len(o.plan.input.Files) == 0 {
		return exitcode.Usagef("apply needs --file FILE or --plan PLAN.json")
	}
	for _, name := range planOnlyFlags {
		if o.PlanFile != "" && o.changed(name) {
			return exitcode.Usagef("--%s cannot be used with --plan: a saved plan keeps the options it was made with; plan again with --%s", name, name)
		}
	}
	if err := c.check(); err != nil {
		return err
	}
	if _, err := o.plan.options(); err != nil {
		return err
	}
	if err := c.start(); err != nil {
		return err
	}
	defer c.close()
	var job *batch.Job
	var err error
	if o.PlanFile == "" {
		job, err = o.fresh(ctx, c)
	} else {
		job, err = o.saved(ctx, c)
	}
	if err != nil {
		return err
	}
	return c.execute(ctx, job)
}

// fresh plans from the CSV, under the workspace lock.
func (o *applyOptions) fresh(ctx context.Context, c *runCmd) (*batch.Job, error) {
	pl, err := computePlan(ctx, o.io, o.global, &o.plan, c.client, o.api.Concurrency)
	if err != nil {
		return nil, err
	}
	return &batch.Job{Verb: batch.Apply, Doc: pl.document(o.now())}, nil
}

// saved loads a saved plan and checks it against the live state and, with
// --file, against the files it was made from: each CSV given (in the order
// the plan was made with) and the plan's rules file must have the SHA-256
// the plan recorded, and the live state the plan depends on must have the
// fingerprint it recorded.
func (o *applyOptions) saved(ctx context.Context, c *runCmd) (*batch.Job, error) {
	doc, err := batch.LoadPlan(o.PlanFile)
	if err != nil {
		return nil, err
	}
	check := batch.SavedCheck{Path: o.PlanFile, AllowStale: o.AllowStale}
	if files := o.plan.input.Files; len(files) > 0 {
		csvs := doc.Files(plan.InputCSV)
		if len(files) != len(csvs) {
			names := make([]string, len(csvs))
			for i, f := range csvs {
				names[i] = f.Path
			}
			return nil, exitcode.Usagef("%s was made from %d CSV file%s (%s): give each with --file, in that order, or none", o.PlanFile, len(csvs), plural(len(csvs)), strings.Join(names, ", "))
		}
		for i, path := range files {
			if err := unchanged(path, csvs[i].SHA256); err != nil {
				return nil, err
			}
		}
		rulesFile := ""
		if rs := doc.Files(plan.InputRules); len(rs) > 0 {
			rulesFile = rs[0].Path
			if err := unchanged(rulesFile, rs[0].SHA256); err != nil {
				return nil, err
			}
		}
		spec := input.SpecOf(files, rulesFile, doc.Reading)
		check.Fingerprint = func(ctx context.Context) (string, error) {
			in, err := readInput(o.io, o.global, spec)
			if err != nil {
				return "", err
			}
			snap, err := readLive(ctx, c.client, plan.NewReads(in.Plan, doc.Options), o.api.Concurrency)
			if err != nil {
				return "", err
			}
			return snap.Fingerprint(), nil
		}
	}
	return c.sess.Saved(ctx, doc, check, o.api.Concurrency)
}

// unchanged refuses a file whose SHA-256 is not the one a saved plan
// recorded for it (the guard status: the plan is stale).
func unchanged(path, recorded string) error {
	sum, err := desired.FileSHA256(path)
	if err != nil {
		return exitcode.With(exitcode.Usage, err)
	}
	if sum != recorded {
		return exitcode.With(exitcode.Guard, fmt.Errorf("%s changed since the plan was made from it (SHA-256 %s, the plan says %s); plan again; nothing was changed", path, batch.Short(sum), batch.Short(recorded)))
	}
	return nil
}
