package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

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
  2. plan it (the dry run);
  3. apply it with --yes on a bad day: some latency, a few 503s, a burst of
     429s, and one scripted failure;
  4. lift the faults and rerun the failure from the run's report directory;
  5. plan again with --detailed-exitcode to show everything is in sync.

No configuration, no network beyond loopback; your SEAM_* variables are not
read. The files (the CSV, the reports) stay in --dir.

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
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "acs-bulk-demo-")
		if err != nil {
			return err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	csvData, err := samples.FS.ReadFile("migration.csv")
	if err != nil {
		return err
	}
	csvPath := filepath.Join(dir, "migration.csv")
	if err := os.WriteFile(csvPath, csvData, 0o600); err != nil {
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
	env := map[string]string{
		"SEAM_ENDPOINT": "http://" + ln.Addr().String(),
		"SEAM_API_KEY":  srv.APIKeys()[0],
		lock.LockDirEnv: filepath.Join(dir, ".locks"),
	}
	// The demo's commands see only the sandbox's credentials and a lock
	// directory of their own; their files are under dir.
	sub := *o.io
	sub.Getenv = func(k string) string { return env[k] }
	sub.InTTY = false
	w := o.io.Out
	fmt.Fprintf(w, "acs-bulk demo: a sandbox with the sample site is serving at %s\n", env["SEAM_ENDPOINT"])
	fmt.Fprintf(w, "Against a real workspace you would first: export SEAM_API_KEY=seam_...\n")
	fmt.Fprintf(w, "Files and reports: %s\n", dir)

	// Each step prints the command as typed in dir, and runs it with the
	// paths made absolute: the process's working directory is not changed.
	in := func(p string) string { return filepath.Join(dir, p) }
	step := func(n int, title string, args ...string) int {
		shown := strings.ReplaceAll(strings.Join(args, " "), dir+string(filepath.Separator), "")
		fmt.Fprintf(w, "\n== %d. %s\n$ acs-bulk %s\n", n, title, shown)
		return run(ctx, args, &sub)
	}
	if code := step(1, "Check the CSV offline", "validate", "--file", csvPath); code != 0 {
		return exitcode.With(code, errors.New("demo: validate failed"))
	}
	if code := step(2, "The dry run: what would change", "plan", "--file", csvPath); code != 0 {
		return exitcode.With(code, errors.New("demo: plan failed"))
	}

	// A bad day: latency, a few 503s, a burst of 429s, and one person whose
	// add the access system refuses.
	victim, err := demoVictim(ctx, csvPath, &sub)
	if err != nil {
		return err
	}
	faults := sandbox.Faults{
		Latency: 15 * time.Millisecond, Jitter: 10 * time.Millisecond,
		ErrorRate: 0.05, RateLimit: 40, RateBurst: 10,
		Scripted: []sandbox.ScriptedFailure{{AcsUserID: victim, Status: 400, Type: "invalid_input", Message: "the access system refused this user (demo)"}},
	}
	if err := srv.SetFaults(faults); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n(The sandbox now has a bad day: 15-25 ms latency, 5%% 503s, 40 requests/s then 429s, and a refusal for %s.)\n", victim)
	runs := in(filepath.Join("runs", time.Now().UTC().Format("20060102T150405Z")))
	run1 := filepath.Join(runs, "apply")
	code := step(3, "Apply it (cron would do the same, with --yes)", "apply", "--file", csvPath, "--yes", "--rate", "60", "--report-dir", run1)
	if code != exitcode.Partial && code != exitcode.OK {
		return exitcode.With(code, errors.New("demo: apply failed"))
	}
	if err := srv.SetFaults(sandbox.Faults{}); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n(The faults are lifted.)\n")
	if code == exitcode.Partial {
		if code := step(4, "Retry what failed, from the run's report", "rerun", "--from", run1, "--yes", "--report-dir", filepath.Join(runs, "rerun")); code != 0 {
			return exitcode.With(code, errors.New("demo: rerun failed"))
		}
	}
	if code := step(5, "Check: nothing left to change (exit 0 = in sync, 5 = changes)", "plan", "--file", csvPath, "--detailed-exitcode"); code != 0 {
		return exitcode.With(exitcode.Failure, fmt.Errorf("demo: the workspace is not in sync (plan exit %d)", code))
	}
	fmt.Fprintf(w, "\nIn sync. Reports: %s (report.json, report.csv, failures.csv, journal.jsonl in each run).\n", runs)
	return nil
}

// demoVictim picks the ACS user of the plan's first add by acs_user_id: the
// one whose add the sandbox will refuse.
func demoVictim(ctx context.Context, csvPath string, io *IO) (string, error) {
	var out, errb bytes.Buffer
	quiet := *io
	quiet.Out, quiet.Err = &out, &errb
	if code := run(ctx, []string{"plan", "--file", csvPath, "--format", "json", "--rate", "0"}, &quiet); code != 0 {
		return "", fmt.Errorf("demo: plan --format json exited %d: %s", code, errb.String())
	}
	var p plan.Plan
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		return "", fmt.Errorf("demo: read the plan: %w", err)
	}
	for _, op := range p.Operations {
		if op.Action == plan.ActionAdd && op.AcsUserID != "" {
			return op.AcsUserID, nil
		}
	}
	return "", errors.New("demo: the sample plan has no add to fail")
}
