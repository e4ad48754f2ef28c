package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/acs-bulk/acs-bulk/internal/atomicfile"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/input"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/plan"
)

// planFlags are the flags that shape a plan; apply shares them.
type planFlags struct {
	input            inputFlags
	Systems          []string
	Mode             string
	Scope            string
	MaxRemovals      string
	MaxAdds          string
	AllowEmptyGroups bool
	SkipUnresolved   bool
}

func (p *planFlags) register(f *pflag.FlagSet) {
	p.input.register(f, "desired-state CSV, or HR export")
	f.StringArrayVar(&p.Systems, "system", nil, "access system id or name to work on (repeatable; default: the systems the CSV names)")
	f.StringVar(&p.Mode, "mode", "sync", "sync (add the missing, remove the extra), add-only or remove-only")
	f.StringVar(&p.Scope, "scope", "groups", "groups (only the groups the CSV and the rules name) or systems (every managed group of the systems, emptying groups absent from the CSV)")
	f.StringVar(&p.MaxRemovals, "max-removals", "10%", "refuse a plan removing more than N memberships, or N% of the in-scope memberships")
	f.StringVar(&p.MaxAdds, "max-adds", "", "refuse a plan adding more than N memberships, or N% of the in-scope memberships (default: no limit)")
	f.BoolVar(&p.AllowEmptyGroups, "allow-empty-groups", false, "allow a plan that empties a group, or an input with no rows")
	f.BoolVar(&p.SkipUnresolved, "skip-unresolved", false, "plan the rows that resolve and list the others, instead of refusing")
}

func (p *planFlags) options() (plan.Options, error) {
	mode, err := plan.ParseMode(p.Mode)
	if err != nil {
		return plan.Options{}, exitcode.Usagef("--mode: %v", err)
	}
	scope, err := plan.ParseScope(p.Scope)
	if err != nil {
		return plan.Options{}, exitcode.Usagef("--scope: %v", err)
	}
	limit, err := plan.ParseLimit(p.MaxRemovals)
	if err != nil {
		return plan.Options{}, exitcode.Usagef("--max-removals: %v", err)
	}
	var adds *plan.Limit
	if p.MaxAdds != "" {
		l, err := plan.ParseLimit(p.MaxAdds)
		if err != nil {
			return plan.Options{}, exitcode.Usagef("--max-adds: %v", err)
		}
		adds = &l
	}
	return plan.Options{
		MaxAdds:          adds,
		Mode:             mode,
		Scope:            scope,
		Systems:          p.Systems,
		MaxRemovals:      limit,
		AllowEmptyGroups: p.AllowEmptyGroups,
		SkipUnresolved:   p.SkipUnresolved,
	}, nil
}

// planned is a computed plan with what it was computed from.
type planned struct {
	in   *input.Input
	snap *live.Snapshot
	plan *plan.Plan
	opts plan.Options
}

// computePlan reads the CSV and the live state the plan needs, and computes
// the plan. Unresolved rows are usage errors; a tripped guard is not an
// error here: callers decide (plan prints it, apply refuses).
func computePlan(ctx context.Context, io *IO, g *globalOptions, pf *planFlags, client live.API, concurrency int) (*planned, error) {
	opts, err := pf.options()
	if err != nil {
		return nil, err
	}
	in, snap, err := readBoth(ctx, io, g, pf, opts, client, concurrency)
	if err != nil {
		return nil, err
	}
	p, err := plan.Compute(in.Plan, snap, opts)
	var rowErrs *plan.Errors
	switch {
	case errors.As(err, &rowErrs):
		return nil, exitcode.With(exitcode.Usage, fmt.Errorf("%s did not resolve; nothing was planned (--skip-unresolved plans the rest):\n%w", unresolvedWhere(rowErrs, in), err))
	case err != nil:
		return nil, exitcode.With(exitcode.Usage, err)
	}
	return &planned{in: in, snap: snap, plan: p, opts: opts}, nil
}

// readBoth reads the input files and the live state at once: the read
// starts while the CSV is still being parsed, and waits for it where what
// to read depends on the rows. A problem in the input wins (exit 2) and
// cancels the read.
func readBoth(ctx context.Context, io *IO, g *globalOptions, pf *planFlags, opts plan.Options, client live.API, concurrency int) (*input.Input, *live.Snapshot, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var in *input.Input
	var inErr error
	parsed := make(chan struct{})
	go func() {
		defer close(parsed)
		if in, inErr = pf.input.read(io, g); inErr != nil {
			cancel()
		}
	}()
	reads := plan.NewReadsLater(opts, func() (plan.Input, bool) {
		<-parsed
		if inErr != nil {
			return plan.Input{}, false
		}
		return in.Plan, true
	})
	snap, err := readLive(rctx, client, reads, concurrency)
	<-parsed
	if inErr != nil {
		return nil, nil, inErr
	}
	if err != nil {
		return nil, nil, err
	}
	return in, snap, nil
}

// unresolvedWhere counts the rows and rules that did not resolve, by file:
// "2 rows of hr.csv and 1 rule of rules.csv".
func unresolvedWhere(e *plan.Errors, in *input.Input) string {
	type line struct {
		file string
		n    int
	}
	seen := map[line]bool{}
	count := map[string]int{}
	for _, r := range e.Rows {
		if !seen[line{r.File, r.Line}] {
			seen[line{r.File, r.Line}] = true
			count[r.File]++
		}
	}
	var parts []string
	for _, f := range in.Inputs() {
		n := count[f.Path]
		if n == 0 {
			continue
		}
		what := "row"
		if f.Kind == plan.InputRules {
			what = "rule"
		}
		parts = append(parts, fmt.Sprintf("%d %s%s of %s", n, what, plural(n), f.Path))
	}
	if len(parts) > 1 {
		return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return strings.Join(parts, "")
}

// readLive reads the live state want asks for; a bad --system keeps its
// own exit status and hint, anything else is a runtime failure.
func readLive(ctx context.Context, client live.API, want live.Want, concurrency int) (*live.Snapshot, error) {
	snap, err := live.Read(ctx, client, want, concurrency)
	var se *plan.SystemError
	switch {
	case errors.As(err, &se):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("read live state: %w", err)
	}
	return snap, nil
}

// document is the saved form of a computed plan (plan --out, and a run's
// plan.json): every input file with its SHA-256, and how they were read.
func (pl *planned) document(now time.Time) *plan.Document {
	members := make(map[string][]string, len(pl.plan.Groups))
	for _, g := range pl.plan.Groups {
		members[g.GroupID] = append([]string{}, pl.snap.Members[g.GroupID]...)
	}
	return &plan.Document{
		Version: plan.DocumentVersion, ToolVersion: buildVersion(), CreatedAt: now.UTC(),
		Inputs: pl.in.Inputs(), Reading: pl.in.Spec.Reading(), Options: pl.opts,
		StateFingerprint: pl.snap.Fingerprint(), Members: members, Plan: pl.plan,
	}
}

type planOptions struct {
	io     *IO
	global *globalOptions
	plan   planFlags
	api    apiFlags

	Format           string
	Out              string
	DetailedExitcode bool
	now              func() time.Time
}

func newPlanCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &planOptions{io: io, global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "plan --file FILE [flags]",
		Short: "Show what apply would change (a dry run)",
		Long: `Read the desired state and the live state, and print the add/remove plan:
per system and group, + and - lines with each person and the reason, then a
summary line. Nothing is changed. Safety guards (--max-removals, emptied
groups, empty input) are checked here too, so a dry run shows when they trip.

The desired state is one or more CSVs (--file, repeatable): one row per
membership, or one row per person (an HR export, its columns renamed with
--column) with a group list (access_groups) or access rules (--rules). With
rules, the plan first says how many people each rule matched, and which
rules matched nobody.

--out saves the plan with each input file's SHA-256 and a fingerprint of the
live state, for apply --plan.

` + exitcode.Help("plan"),
		Example: `  acs-bulk plan --file samples/migration.csv
  acs-bulk plan --file nightly.csv --mode sync --max-removals 25 --format json
  acs-bulk plan --file nightly.csv --out plan.json --detailed-exitcode
  acs-bulk plan --file hr-harbor.csv --file hr-riverside.csv --rules rules.csv --column email="Work Email"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return planRun(cmd.Context(), o)
		},
	}
	o.plan.register(cmd.Flags())
	o.api.register(cmd.Flags())
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text or json")
	cmd.Flags().StringVarP(&o.Out, "out", "o", "", "save the plan to this file, for apply --plan (stdout then gets the summary only)")
	cmd.Flags().BoolVar(&o.DetailedExitcode, "detailed-exitcode", false, "exit 0 when there are no changes and 5 when there are")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func planRun(ctx context.Context, o *planOptions) error {
	if o.Format != "text" && o.Format != "json" {
		return exitcode.Usagef("--format must be text or json, not %q", o.Format)
	}
	if err := o.api.check(); err != nil {
		return err
	}
	client, err := o.api.client(o.io, o.global, false)
	if err != nil {
		return err
	}
	pl, err := computePlan(ctx, o.io, o.global, &o.plan, client, o.api.Concurrency)
	if err != nil {
		return err
	}
	// With --out the listing is in the file: stdout gets the summary.
	switch {
	case o.Out != "" && o.Format == "json":
		err = pl.plan.WriteSummaryJSON(o.io.Out)
	case o.Out != "":
		err = pl.plan.WriteSummary(o.io.Out)
	case o.Format == "json":
		err = pl.plan.WriteJSON(o.io.Out)
	default:
		err = pl.plan.WriteText(o.io.Out)
	}
	if err != nil {
		return err
	}
	if o.Out != "" {
		b, err := pl.document(o.now()).Marshal()
		if err != nil {
			return err
		}
		if err := atomicfile.Output(o.Out, b, 0o600, o.io.Out); err != nil {
			return err
		}
	}
	if ge := pl.plan.Guard(); ge != nil {
		return ge
	}
	if o.DetailedExitcode && pl.plan.HasChanges() {
		return exitcode.With(exitcode.Changes, errors.New("changes present"))
	}
	return nil
}
