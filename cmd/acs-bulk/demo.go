package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/batch"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/lock"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
	"github.com/acs-bulk/acs-bulk/samples"
)

type demoOptions struct {
	io     *IO
	global *globalOptions
	Dir    string
}

func newDemoCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &demoOptions{io: io, global: g}
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR]",
		Short: "Run a whole migration against a built-in sandbox, step by step",
		Long: `Start the sandbox in this process on a free loopback port with the sample site
(samples/harbor-site.json), then run what a migrating admin would, printing
each command as you would type it against a real workspace:

  1. validate the sample migration CSV;
  2. plan it (the dry run; the listing is saved to plan.json);
  3. apply it with --yes on a bad day: some latency, a few 503s, a burst of
     429s, and one scripted failure;
  4. lift the faults and rerun the failure from the run's report directory;
  5. plan again with --detailed-exitcode to show everything is in sync.

No configuration, no network beyond loopback; your SEAM_* variables are not
read. The files (the CSV, the plan, the reports) stay in --dir; without it
they go to a temporary directory that is removed at the end.

` + exitcode.Help("demo"),
		Example: `  acs-bulk demo
  acs-bulk demo --dir /tmp/acs-bulk-demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return demoRun(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Dir, "dir", "", "directory for the demo's files and reports (default: a new temporary directory)")
	return cmd
}

func demoRun(ctx context.Context, o *demoOptions) error {
	d := &demo{ctx: ctx, w: o.io.Out, dir: o.Dir}
	if d.dir == "" {
		tmp, err := os.MkdirTemp("", "acs-bulk-demo-")
		if err != nil {
			return err
		}
		// The sample site is personal data, if made up: nothing is left
		// behind unless asked for.
		defer os.RemoveAll(tmp)
		d.dir, d.temporary = tmp, true
	} else if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return err
	}
	csvData, err := samples.FS.ReadFile("migration.csv")
	if err != nil {
		return err
	}
	if err := os.WriteFile(d.in("migration.csv"), csvData, 0o600); err != nil {
		return err
	}
	srv := sandbox.New(sandbox.SampleSite(), sandbox.Options{PropagationDelay: 2 * time.Second, Seed: 1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo sandbox: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	// The demo's commands see only the sandbox's credentials and a lock
	// directory of their own; their files are under dir.
	env := map[string]string{"SEAM_ENDPOINT": "http://" + ln.Addr().String(), "SEAM_API_KEY": srv.APIKeys()[0], lock.LockDirEnv: d.in(".locks")}
	d.io = *o.io
	d.io.Getenv = func(k string) string { return env[k] }
	d.io.InTTY = false
	fmt.Fprintf(d.w, "acs-bulk demo: a sandbox with the sample site is serving at %s\n", env["SEAM_ENDPOINT"])
	fmt.Fprintf(d.w, "Against a real workspace you would first: export SEAM_API_KEY=seam_...\n")
	if d.temporary {
		fmt.Fprintf(d.w, "Files and reports: %s (a temporary directory, removed at the end; --dir keeps them)\n", d.dir)
	} else {
		fmt.Fprintf(d.w, "Files and reports: %s\n", d.dir)
	}
	return d.story(srv)
}

// demo is one run of the demo: where its files are and how its steps run.
type demo struct {
	ctx       context.Context
	w         io.Writer
	io        IO
	dir       string
	temporary bool
}

// in is a path in the demo's directory.
func (d *demo) in(p string) string { return filepath.Join(d.dir, p) }

// step prints the command as typed in the demo's directory and runs it with
// the paths absolute: the process's working directory is not changed.
func (d *demo) step(n int, title string, args ...string) int {
	shown := strings.ReplaceAll(strings.Join(args, " "), d.dir+string(filepath.Separator), "")
	fmt.Fprintf(d.w, "\n== %d. %s\n$ acs-bulk %s\n", n, title, shown)
	return run(d.ctx, args, &d.io)
}

// story is the migration: check, dry run, apply on a bad day, rerun, in sync.
func (d *demo) story(srv *sandbox.Server) error {
	csv, saved := d.in("migration.csv"), d.in("plan.json")
	if code := d.step(1, "Check the CSV offline", "validate", "--file", csv); code != 0 {
		return exitcode.With(code, errors.New("demo: validate failed"))
	}
	if code := d.step(2, "The dry run: what would change (the whole listing goes to plan.json)", "plan", "--file", csv, "--out", saved); code != 0 {
		return exitcode.With(code, errors.New("demo: plan failed"))
	}
	// A bad day: latency, a few 503s, a burst of 429s, and one person whose
	// add the access system refuses.
	victim, err := demoVictim(saved)
	if err != nil {
		return err
	}
	if err := srv.SetFaults(sandbox.Faults{
		Latency: 15 * time.Millisecond, Jitter: 10 * time.Millisecond, ErrorRate: 0.05, RateLimit: 40, RateBurst: 10,
		Scripted: []sandbox.ScriptedFailure{{AcsUserID: victim, Status: 400, Type: "invalid_input", Message: "the access system refused this user (demo)"}},
	}); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "\n(The sandbox now has a bad day: 15-25 ms latency, 5%% 503s, 40 requests/s then 429s, and a refusal for %s.)\n", victim)
	runs := d.in(filepath.Join("runs", time.Now().UTC().Format("20060102T150405Z")))
	first := filepath.Join(runs, "apply")
	code := d.step(3, "Apply it (cron would do the same, with --yes)", "apply", "--file", csv, "--yes", "--rate", "60", "--report-dir", first)
	if code != exitcode.Partial && code != exitcode.OK {
		return exitcode.With(code, errors.New("demo: apply failed"))
	}
	if err := srv.SetFaults(sandbox.Faults{}); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "\n(The faults are lifted.)\n")
	if code == exitcode.Partial {
		if code := d.step(4, "Retry what failed, from the run's report", "rerun", "--from", first, "--yes", "--report-dir", filepath.Join(runs, "rerun")); code != 0 {
			return exitcode.With(code, errors.New("demo: rerun failed"))
		}
	}
	if code := d.step(5, "Check: nothing left to change (exit 0 = in sync, 5 = changes)", "plan", "--file", csv, "--detailed-exitcode"); code != 0 {
		return exitcode.With(exitcode.Failure, fmt.Errorf("demo: the workspace is not in sync (plan exit %d)", code))
	}
	if d.temporary {
		fmt.Fprintf(d.w, "\nIn sync. The demo's files are removed now; acs-bulk demo --dir DIR keeps the reports (report.json, report.csv, failures.csv, journal.jsonl in each run).\n")
		return nil
	}
	fmt.Fprintf(d.w, "\nIn sync. Reports: %s (report.json, report.csv, failures.csv, journal.jsonl in each run).\n", runs)
	return nil
}

// demoVictim picks, from the saved plan, the ACS user of the first add by
// acs_user_id: the one whose add the sandbox will refuse.
func demoVictim(saved string) (string, error) {
	doc, err := batch.LoadPlan(saved)
	if err != nil {
		return "", fmt.Errorf("demo: read the plan: %w", err)
	}
	for _, op := range doc.Plan.Operations {
		if op.Action == plan.ActionAdd && op.AcsUserID != "" {
			return op.AcsUserID, nil
		}
	}
	return "", errors.New("demo: the sample plan has no add to fail")
}
