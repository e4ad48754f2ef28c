package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/live"
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

const runExitCodes = "Exit status:\n" +
	"  0    every operation succeeded (or was already satisfied)\n" +
	"  1    runtime failure: network, authentication, server, file system, lock held\n" +
	"  2    invalid usage or input, or not confirmed; nothing was changed\n" +
	"  3    some operations failed or were not attempted: see failures.csv\n" +
	"  4    a safety guard refused, or a saved plan is stale; nothing was changed\n" +
	"  130  interrupted: requests in flight finished, the reports were written\n"

func newApplyCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &applyOptions{io: io, global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "apply (--file FILE [plan flags] | --plan PLAN.json) [--yes]",
		Short: "Plan, then change the memberships, with a report of every operation",
		Long: `Compute the plan (as plan does) and execute it: adds first, then removes
(make-before-break), with bounded concurrency (--concurrency), paced by
--rate/--burst with adaptive slow-down on 429, and retries of 429, 5xx,
timeouts and dropped connections (--max-attempts).

On a terminal it shows the plan's summary and asks; --yes skips the question,
and without a terminal (cron) --yes is required. With --plan it executes a plan
saved by plan --out: the input file's hash must match when --file is given too,
and the groups are read again; if their members changed since the plan was
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

` + runExitCodes,
		Example: `  acs-bulk apply --file samples/migration.csv
  acs-bulk apply --file nightly.csv --yes --log-format json --max-removals 5%
  acs-bulk plan --file f.csv --out plan.json && acs-bulk apply --plan plan.json --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.changed = cmd.Flags().Changed
			return applyRun(cmd.Context(), o)
		},
	}
	o.plan.register(cmd.Flags())
	o.api.register(cmd.Flags())
	o.run.register(cmd.Flags())
	cmd.Flags().StringVar(&o.PlanFile, "plan", "", "execute this saved plan (from plan --out) instead of planning")
	cmd.Flags().BoolVar(&o.AllowStale, "allow-stale", false, "with --plan: apply even if the groups changed since the plan, skipping operations already satisfied")
	return cmd
}

func applyRun(ctx context.Context, o *applyOptions) error {
	if o.PlanFile == "" && o.plan.File == "" {
		return exitcode.Usagef("apply needs --file FILE or --plan PLAN.json")
	}
	if o.PlanFile != "" {
		for _, name := range []string{"mode", "scope", "system", "max-removals", "allow-empty-groups", "skip-unresolved"} {
			if o.changed(name) {
				return exitcode.Usagef("--%s cannot be used with --plan: a saved plan keeps the options it was made with; plan again with --%s", name, name)
			}
		}
	}
	ex, err := newExecution(o.io, o.global, &o.api, &o.run, "apply", o.now)
	if err != nil {
		return err
	}
	defer ex.release()
	if o.PlanFile == "" {
		pl, err := computePlan(ctx, o.io, o.global, &o.plan, ex.client, o.api.Concurrency)
		if err != nil {
			return err
		}
		if err := guardError(pl.plan); err != nil {
			if o.io.ErrTTY {
				pl.plan.WriteText(o.io.Err)
			}
			return err
		}
		ex.doc = &plan.Document{
			Version: plan.DocumentVersion, ToolVersion: buildVersion(), CreatedAt: o.now().UTC(),
			InputFile: o.plan.File, InputSHA256: pl.file.SHA256, Options: pl.opts,
			StateFingerprint: pl.snap.Fingerprint(), Members: inScopeMembers(pl.plan, pl.snap), Plan: pl.plan,
		}
		if o.io.InTTY && !o.run.Yes {
			pl.plan.WriteText(o.io.Err)
		}
		return ex.do(ctx)
	}

	doc, err := loadPlanDocument(o.PlanFile)
	if err != nil {
		return err
	}
	if doc.Plan.Blocked {
		return exitcode.Usagef("%s is a plan whose rows did not resolve; nothing can be applied from it", o.PlanFile)
	}
	if err := guardError(doc.Plan); err != nil {
		return err
	}
	groups := make([]string, 0, len(doc.Members))
	for g := range doc.Members {
		groups = append(groups, g)
	}
	members, err := live.ReadMembers(ctx, ex.client, groups, o.api.Concurrency)
	if err != nil {
		return fmt.Errorf("read live state: %w", err)
	}
	changes := live.DiffMembers(doc.Members, members.IDs())
	if len(changes) > 0 && !o.AllowStale {
		return exitcode.With(exitcode.Guard, staleError(o.PlanFile, doc, changes))
	}
	if o.plan.File != "" {
		if err := checkInput(ctx, o, ex, doc, len(changes) > 0); err != nil {
			return err
		}
	}
	// The operations left against the state as it is now, with the guards
	// computed again on it: a stale plan must not empty a group that other
	// changes have thinned since.
	p, done, err := plan.Replan(doc.Plan.Operations, members.IDs(), doc.Options, satisfiedBy(members))
	if err != nil {
		return err
	}
	if err := guardError(p); err != nil {
		return err
	}
	d := *doc
	d.Plan = p
	ex.doc, ex.skipped = &d, done
	if o.io.InTTY && !o.run.Yes {
		p.WriteText(o.io.Err)
	}
	return ex.do(ctx)
}

// checkInput checks a saved plan against the CSV it was made from: the
// file's hash must match, and the live state the plan depends on (groups,
// users, identities) must have the fingerprint the plan recorded, unless
// --allow-stale (or the members already differ, which was reported).
func checkInput(ctx context.Context, o *applyOptions, ex *execution, doc *plan.Document, knownStale bool) error {
	sum, err := fileSHA256(o.plan.File)
	if err != nil {
		return exitcode.With(exitcode.Usage, err)
	}
	if sum != doc.InputSHA256 {
		return exitcode.With(exitcode.Guard, fmt.Errorf("%s changed since the plan was made from it (SHA-256 %s, the plan says %s); plan again; nothing was changed", o.plan.File, short(sum), short(doc.InputSHA256)))
	}
	if o.AllowStale || knownStale {
		return nil
	}
	f, err := readDesired(o.io, o.global, o.plan.File)
	if err != nil {
		return err
	}
	snap, err := live.Read(ctx, ex.client, live.Request{
		Rows: f.Rows, Systems: doc.Options.Systems, AllGroups: doc.Options.Scope == plan.ScopeSystems, Concurrency: o.api.Concurrency,
	})
	if err := liveError(err); err != nil {
		return err
	}
	if fp := snap.Fingerprint(); fp != doc.StateFingerprint {
		return exitcode.With(exitcode.Guard, fmt.Errorf("%s is stale: the groups, users or identities it was computed from changed since %s (state fingerprint %s, the plan says %s); plan again, or pass --allow-stale; nothing was changed",
			o.PlanFile, doc.CreatedAt.Format(time.RFC3339), short(strings.TrimPrefix(fp, "sha256:")), short(strings.TrimPrefix(doc.StateFingerprint, "sha256:"))))
	}
	return nil
}

// staleError says what changed in the plan's groups since it was made.
func staleError(file string, doc *plan.Document, changes []live.MemberChange) error {
	names := map[string]string{}
	for _, g := range doc.Plan.Groups {
		names[g.GroupID] = g.GroupName
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s is stale: %d memberships of its groups changed since it was made at %s:", file, len(changes), doc.CreatedAt.Format(time.RFC3339))
	for i, c := range changes {
		if i == 20 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(changes)-20)
			break
		}
		sign := "-"
		if c.Added {
			sign = "+"
		}
		fmt.Fprintf(&b, "\n  %s %s in %s (%s)", sign, c.AcsUserID, names[c.GroupID], c.GroupID)
	}
	b.WriteString("\nplan again, or pass --allow-stale to skip what is already done; nothing was changed")
	return errors.New(b.String())
}

func loadPlanDocument(path string) (*plan.Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, err)
	}
	doc, err := plan.Unmarshal(data)
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, fmt.Errorf("%s: %w", path, err))
	}
	return doc, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
