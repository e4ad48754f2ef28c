package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/batch"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/report"
)

type rerunOptions struct {
	io     *IO
	global *globalOptions
	api    apiFlags
	run    runFlags
	From   string
	now    func() time.Time
}

func newRerunCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &rerunOptions{io: io, global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "rerun --from DIR [--yes]",
		Short: "Retry what an earlier run did not finish",
		Long: `Take the operations of an earlier apply (its report directory) that failed,
were not attempted, or never finished (a run that crashed or was killed before
writing report.json is read from its journal), read the live state of their
groups again, drop those already satisfied (recorded as skipped), and execute
the rest with a new report. No operation is done twice: what reached the
server before a crash shows in the live state and is skipped.

Rerun finishes the same operations the earlier run was allowed to make; it
does not check the removal guards again.

` + exitcode.Help("rerun"),
		Example: `  acs-bulk rerun --from acs-bulk-runs/20261122T020000Z-1a2b3c4d --yes`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := newRunCmd(o.io, o.global, &o.api, &o.run, o.now)
			return c.finish(batch.Rerun, rerunRun(cmd.Context(), o, c))
		},
	}
	cmd.Flags().StringVar(&o.From, "from", "", "report directory of the earlier run (required)")
	o.api.register(cmd.Flags())
	o.run.register(cmd.Flags())
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func rerunRun(ctx context.Context, o *rerunOptions, c *runCmd) error {
	if err := c.check(); err != nil {
		return err
	}
	if done, err := c.loadPast(batch.Rerun, o.From); done || err != nil {
		return err // before the lock and the client: a wrong directory is a usage error
	}
	if err := c.start(); err != nil {
		return err
	}
	defer c.close()
	job, err := c.sess.Rerun(ctx, report.Dir(o.From), o.api.Concurrency)
	if err != nil {
		return err
	}
	return c.execute(ctx, job)
}

type revertOptions struct {
	io               *IO
	global           *globalOptions
	api              apiFlags
	run              runFlags
	From             string
	MaxRemovals      string
	AllowEmptyGroups bool
	now              func() time.Time
}

func newRevertCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &revertOptions{io: io, global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "revert --from DIR [--yes]",
		Short: "Undo what an earlier run changed",
		Long: `Plan the inverse of an earlier run's succeeded operations (an add becomes a
remove, a remove an add), read the live state of their groups, drop what is
already undone, and execute the rest like any apply: shown, guarded by
--max-removals and the empty-group guard, and confirmed (--yes without a
terminal), with a new report.

An add that went by user identity is undone by removing the ACS user that
Seam linked or created for it.

` + exitcode.Help("revert"),
		Example: `  acs-bulk revert --from acs-bulk-runs/20261122T020000Z-1a2b3c4d
  acs-bulk revert --from acs-bulk-runs/20261122T020000Z-1a2b3c4d --max-removals 100% --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := newRunCmd(o.io, o.global, &o.api, &o.run, o.now)
			return c.finish(batch.Revert, revertRun(cmd.Context(), o, c))
		},
	}
	cmd.Flags().StringVar(&o.From, "from", "", "report directory of the run to undo (required)")
	cmd.Flags().StringVar(&o.MaxRemovals, "max-removals", "10%", "refuse to remove more than N memberships, or N% of the memberships of the groups involved")
	cmd.Flags().BoolVar(&o.AllowEmptyGroups, "allow-empty-groups", false, "allow the revert to empty a group")
	o.api.register(cmd.Flags())
	o.run.register(cmd.Flags())
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func revertRun(ctx context.Context, o *revertOptions, c *runCmd) error {
	limit, err := plan.ParseLimit(o.MaxRemovals)
	if err != nil {
		return exitcode.Usagef("--max-removals: %v", err)
	}
	if err := c.check(); err != nil {
		return err
	}
	if done, err := c.loadPast(batch.Revert, o.From); done || err != nil {
		return err
	}
	if err := c.start(); err != nil {
		return err
	}
	defer c.close()
	job, err := c.sess.Revert(ctx, report.Dir(o.From), limit, o.AllowEmptyGroups, o.api.Concurrency)
	if err != nil {
		return err
	}
	return c.execute(ctx, job)
}
