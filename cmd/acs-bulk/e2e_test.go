package main

// End-to-end tests of apply and rerun as real processes (this test binary
// re-run as acs-bulk) against an in-process sandbox: faults, kill -9,
// SIGINT, a revoked key, and the lock.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/report"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
)

// moveSite is one system with groups groups and users users; user i starts in
// group i%groups. moveCSV asks for user i in group (i+1)%groups, so applying
// it is one add and one remove per user.
func moveSite(users, groups int) *sandbox.State {
	st := &sandbox.State{
		WorkspaceID: "ws1", APIKeys: []string{"seam_e2e_key_0001"},
		AcsSystems: []sandbox.AcsSystem{{AcsSystemID: "sys1", Name: "Harbor Tower"}},
	}
	for g := range groups {
		st.AcsAccessGroups = append(st.AcsAccessGroups, sandbox.AcsAccessGroup{AcsAccessGroupID: fmt.Sprintf("g%02d", g), AcsSystemID: "sys1", Name: fmt.Sprintf("Group %02d", g)})
	}
	for i := range users {
		id := fmt.Sprintf("u%04d", i)
		st.AcsUsers = append(st.AcsUsers, sandbox.AcsUser{AcsUserID: id, AcsSystemID: "sys1", FullName: fmt.Sprintf("User %d", i), EmailAddress: fmt.Sprintf("user%d@harbor.example", i)})
		st.Memberships = append(st.Memberships, sandbox.Membership{AcsAccessGroupID: fmt.Sprintf("g%02d", i%groups), AcsUserID: id})
	}
	return st
}

func moveCSV(t *testing.T, users, groups int) string {
	var b strings.Builder
	b.WriteString("acs_system,access_group,email\n")
	for i := range users {
		fmt.Fprintf(&b, "Harbor Tower,Group %02d,user%d@harbor.example\n", (i+1)%groups, i)
	}
	p := filepath.Join(t.TempDir(), "move.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantMoved is the membership set after moveCSV applied, less the users in
// except, who stay where they were.
func wantMoved(users, groups int, except map[string]bool) []string {
	var out []string
	for i := range users {
		id := fmt.Sprintf("u%04d", i)
		g := (i + 1) % groups
		if except[id] {
			g = i % groups
		}
		out = append(out, fmt.Sprintf("g%02d %s", g, id))
	}
	sort.Strings(out)
	return out
}

func memberships(srv *sandbox.Server) []string {
	var out []string
	for _, m := range srv.Memberships() {
		out = append(out, m.AcsAccessGroupID+" "+m.AcsUserID)
	}
	sort.Strings(out)
	return out
}

// e2e is a sandbox with a hook run on every membership change request
// before the sandbox sees it.
type e2e struct {
	t       *testing.T
	srv     *sandbox.Server
	url     string
	changes atomic.Int64
	mu      sync.Mutex
	// hook, when set, runs for every add/remove request, with its number.
	hook func(n int64)
	dir  string
}

// setHook sets (or, with nil, clears) the hook.
func (e *e2e) setHook(f func(n int64)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hook = f
}

func newE2E(t *testing.T, st *sandbox.State, faults sandbox.Faults) *e2e {
	e := &e2e{t: t, srv: sandbox.New(st, sandbox.Options{Faults: faults, Seed: 3}), dir: t.TempDir()}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/add_user") || strings.HasSuffix(r.URL.Path, "/remove_user") {
			n := e.changes.Add(1)
			e.mu.Lock()
			hook := e.hook
			e.mu.Unlock()
			if hook != nil {
				hook(n)
			}
		}
		e.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	e.url = hs.URL
	return e
}

// at runs f once, from the server, when the n-th change request arrives
// (before the sandbox sees it), and returns the number it ran at.
func (e *e2e) at(n int64, f func()) *atomic.Int64 {
	var once sync.Once
	var ranAt atomic.Int64
	e.setHook(func(i int64) {
		if i >= n {
			once.Do(func() { ranAt.Store(i); f() })
		}
	})
	return &ranAt
}

// startApply starts acs-bulk apply --file csv --yes with no guard, writing to
// run, at concurrency 4 with no pacing, plus extra flags.
func (e *e2e) startApply(t *testing.T, csv string, extra ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	args := append([]string{"apply", "--file", csv, "--yes", "--max-removals", "100%", "--report-dir", "run", "--concurrency", "4", "--rate", "0"}, extra...)
	cmd, out, errb := e.command(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out, errb
}

// command prepares acs-bulk with the sandbox's credentials, run in e.dir.
func (e *e2e) command(args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), "ACS_BULK_TEST_MAIN=1", "SEAM_ENDPOINT="+e.url, "SEAM_API_KEY="+e.srv.APIKeys()[0],
		"ACS_BULK_LOCK_DIR="+filepath.Join(e.dir, ".locks"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	return cmd, &out, &errb
}

// run runs acs-bulk and checks its exit status.
func (e *e2e) run(want int, args ...string) (stdout, stderr string) {
	e.t.Helper()
	cmd, out, errb := e.command(args...)
	err := cmd.Run()
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	if got != want {
		e.t.Fatalf("acs-bulk %s exited %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, want, out, errb)
	}
	return out.String(), errb.String()
}

// checkRecords loads the report of dir and checks one record per planned
// operation (Seq 1..n, each once).
func checkRecords(t *testing.T, dir string, n int) *report.Run {
	t.Helper()
	run, err := report.Load(report.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Records) != n {
		t.Fatalf("%d records, want %d", len(run.Records), n)
	}
	for i, r := range run.Records {
		if r.Seq != i+1 {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
	}
	return run
}

// noDoubleChanges fails when the sandbox applied one change twice.
func noDoubleChanges(t *testing.T, srv *sandbox.Server) {
	t.Helper()
	seen := map[string]int{}
	for _, c := range srv.MembershipLog() {
		if c.Changed {
			seen[c.Action+" "+c.AccessGroupID+" "+c.AcsUserID]++
		}
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("the sandbox applied %q %d times", k, n)
		}
	}
}

func TestApplyUnderFaults(t *testing.T) {
	const users, groups = 100, 5
	fail, err := sandbox.ParseScriptedFailure("user=u0007:400:invalid_input")
	if err != nil {
		t.Fatal(err)
	}
	e := newE2E(t, moveSite(users, groups), sandbox.Faults{
		RateLimit: 200, RateBurst: 20, ErrorRate: 0.2, DropRate: 0.05, Scripted: []sandbox.ScriptedFailure{fail},
	})
	csv := moveCSV(t, users, groups)
	stdout, stderr := e.run(3, "apply", "--file", csv, "--yes", "--max-removals", "100%", "--report-dir", "run",
		"--rate", "400", "--burst", "40", "--concurrency", "16", "--max-attempts", "12", "--log-format", "json")
	if want := "Applied: 99 added, 99 removed, 1 failed, 1 not attempted. Report: run\n"; stdout != want {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	run := checkRecords(t, filepath.Join(e.dir, "run"), 2*users)
	var failed []report.Record
	for _, r := range run.Records {
		if r.Status != report.Succeeded {
			failed = append(failed, r)
		}
	}
	if len(failed) != 2 || failed[0].AcsUserID != "u0007" || failed[0].Status != report.Failed || failed[0].HTTPStatus != 400 ||
		failed[0].ErrorType != "invalid_input" || !strings.HasPrefix(failed[0].RequestID, "req_") ||
		failed[1].AcsUserID != "u0007" || failed[1].Status != report.NotAttempted {
		t.Errorf("failures %+v, want u0007's add failed with a request id and its remove not attempted", failed)
	}
	if got, want := memberships(e.srv), wantMoved(users, groups, map[string]bool{"u0007": true}); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("live memberships differ from the desired state (except u0007)")
	}
	noDoubleChanges(t, e.srv)
	csvBytes, _ := os.ReadFile(filepath.Join(e.dir, "run", "failures.csv"))
	if n := strings.Count(string(csvBytes), "\n"); n != 3 || !strings.Contains(string(csvBytes), failed[0].RequestID) {
		t.Errorf("failures.csv has %d lines or lacks the request id:\n%s", n, csvBytes)
	}
	key := e.srv.APIKeys()[0]
	for _, name := range []string{"plan.json", "journal.jsonl", "report.json", "report.csv", "failures.csv"} {
		b, _ := os.ReadFile(filepath.Join(e.dir, "run", name))
		if bytes.Contains(b, []byte(key)) {
			t.Errorf("%s contains the API key", name)
		}
	}
	if strings.Contains(stderr, key) || strings.Contains(stdout, key) {
		t.Errorf("the log contains the API key")
	}
	if run.Throttled == 0 && e.srv.Stats().ByStatus[429] > 0 {
		t.Errorf("report says 0 throttled, the server answered %d 429s", e.srv.Stats().ByStatus[429])
	}
}

// TestKill9ThenRerun kills an apply with SIGKILL in the middle; rerun from
// its directory (no report.json, only the journal) finishes the job, and the
// sandbox never applies an operation twice.
func TestKill9ThenRerun(t *testing.T) {
	const users, groups = 120, 4
	e := newE2E(t, moveSite(users, groups), sandbox.Faults{})
	csv := moveCSV(t, users, groups)
	cmd, _, errb := e.startApply(t, csv)
	proc := cmd.Process
	e.at(60, func() { proc.Signal(syscall.SIGKILL) })
	err := cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if err == nil || !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("apply was not killed: %v\n%s", err, errb)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "run", "report.json")); err == nil {
		t.Fatal("a killed run wrote report.json")
	}
	journal, err := report.ReadJournal(filepath.Join(e.dir, "run", "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(journal) == 0 || len(journal) >= 2*users {
		t.Fatalf("journal has %d records; want some but not all", len(journal))
	}
	e.setHook(nil)
	stdout, _ := e.run(0, "rerun", "--from", "run", "--yes", "--report-dir", "rerun", "--rate", "0")
	if !strings.HasPrefix(stdout, "Rerun: ") || !strings.Contains(stdout, " 0 failed, 0 not attempted") {
		t.Errorf("rerun said %q", stdout)
	}
	if got, want := memberships(e.srv), wantMoved(users, groups, nil); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("after the rerun the live memberships differ from the desired state")
	}
	noDoubleChanges(t, e.srv)
	e.run(0, "plan", "--file", csv, "--max-removals", "100%", "--detailed-exitcode", "--rate", "0")
}

// TestInterruptThenRerun sends SIGINT in the middle of an apply: it lets
// requests in flight finish, writes the reports with not_attempted records,
// exits 130, and a rerun completes.
func TestInterruptThenRerun(t *testing.T) {
	const users, groups = 120, 4
	e := newE2E(t, moveSite(users, groups), sandbox.Faults{})
	csv := moveCSV(t, users, groups)
	cmd, out, errb := e.startApply(t, csv, "--metrics-file", "acs.prom")
	proc := cmd.Process
	signalledAt := e.at(50, func() { proc.Signal(syscall.SIGINT) })
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d, want 130\n%s\n%s", code, out, errb)
	}
	if prom, err := os.ReadFile(filepath.Join(e.dir, "acs.prom")); err != nil ||
		!strings.Contains(string(prom), "\nacs_bulk_last_run_exit_code{command=\"apply\"} 130\n") ||
		!strings.Contains(string(prom), "status=\"not_attempted\"}") {
		t.Errorf("metrics after the interrupt (%v):\n%s", err, prom)
	}
	run := checkRecords(t, filepath.Join(e.dir, "run"), 2*users)
	counts := report.Count(run.Records)
	if run.Stopped != "interrupted" || counts[report.NotAttempted] == 0 || counts[report.Failed] != 0 ||
		counts[report.Succeeded]+counts[report.NotAttempted] != 2*users {
		t.Errorf("stopped %q, counts %v: want interrupted, some not attempted, the rest succeeded", run.Stopped, counts)
	}
	// No request starts after the interrupt but the ones in flight (4).
	if n := e.changes.Load(); n > signalledAt.Load()+4 {
		t.Errorf("%d change requests reached the server, want at most %d", n, signalledAt.Load()+4)
	}
	e.setHook(nil)
	e.run(0, "rerun", "--from", "run", "--yes", "--report-dir", "rerun", "--rate", "0")
	if got, want := memberships(e.srv), wantMoved(users, groups, nil); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("after the rerun the live memberships differ from the desired state")
	}
	noDoubleChanges(t, e.srv)
}

// TestRevokedKeyStopsTheRun: a 401 in the middle stops scheduling within one
// round of in-flight requests.
func TestRevokedKeyStopsTheRun(t *testing.T) {
	const users, groups = 100, 4
	e := newE2E(t, moveSite(users, groups), sandbox.Faults{})
	csv := moveCSV(t, users, groups)
	revokedAt := e.at(30, e.srv.RevokeAPIKeys)
	_, stderr := e.run(1, "apply", "--file", csv, "--yes", "--max-removals", "100%", "--report-dir", "run", "--concurrency", "4", "--rate", "0")
	if !strings.Contains(stderr, "authentication failed") {
		t.Errorf("stderr does not say why it stopped:\n%s", stderr)
	}
	if n := e.changes.Load(); n > revokedAt.Load()+4 {
		t.Errorf("%d change requests reached the server, want at most %d (one round of 4 after the revocation)", n, revokedAt.Load()+4)
	}
	run := checkRecords(t, filepath.Join(e.dir, "run"), 2*users)
	if c := report.Count(run.Records); c[report.NotAttempted] < 2*users-34 {
		t.Errorf("counts %v: want the rest not attempted", c)
	}
}

// TestSecondApplyIsLockedOut: while one apply runs, a second one on the same
// workspace exits 1 naming the holder, and sends nothing.
func TestSecondApplyIsLockedOut(t *testing.T) {
	const users, groups = 40, 4
	e := newE2E(t, moveSite(users, groups), sandbox.Faults{})
	csv := moveCSV(t, users, groups)
	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	e.setHook(func(n int64) {
		once.Do(func() { close(started) })
		<-release
	})
	first, _, errb := e.command("apply", "--file", csv, "--yes", "--max-removals", "100%", "--report-dir", "first", "--concurrency", "1", "--rate", "0")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	<-started // the first apply holds its locks and is sending
	before := e.changes.Load()
	_, stderr := e.run(1, "apply", "--file", csv, "--yes", "--max-removals", "100%", "--report-dir", "second", "--rate", "0")
	if !strings.Contains(stderr, "another acs-bulk run holds") || !strings.Contains(stderr, fmt.Sprintf("pid %d", first.Process.Pid)) {
		t.Errorf("stderr does not name the holder:\n%s", stderr)
	}
	// The lock is the workspace's, however the endpoint is spelled.
	// (Were it not locked out, its requests would block in the hook and time out.)
	other, _, _ := e.command("apply", "--file", csv, "--yes", "--max-removals", "100%", "--report-dir", "third", "--rate", "0", "--max-attempts", "1", "--request-timeout", "2s")
	other.Env = append(other.Env, "SEAM_ENDPOINT="+strings.Replace(e.url, "127.0.0.1", "localhost", 1))
	other.Stdout, other.Stderr = nil, nil
	out, _ := other.CombinedOutput()
	if code := other.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "another acs-bulk run holds") {
		t.Errorf("apply at localhost exited %d while the 127.0.0.1 run holds the workspace:\n%s", code, out)
	}
	if e.changes.Load() != before {
		t.Errorf("the locked-out apply sent changes")
	}
	close(release)
	if err := first.Wait(); err != nil {
		t.Fatalf("first apply: %v\n%s", err, errb)
	}
}

// TestKill9ThenRevert: revert of a killed run undoes what the run did,
// including the operations in flight when it died (no record in the journal).
func TestKill9ThenRevert(t *testing.T) {
	const users, groups = 60, 4
	e := newE2E(t, moveSite(users, groups), sandbox.Faults{})
	before := memberships(e.srv)
	csv := moveCSV(t, users, groups)
	cmd, _, errb := e.startApply(t, csv)
	proc := cmd.Process
	// Kill while request 40 is held at the server: it reaches the sandbox
	// after the kill, so its change is made but never journaled.
	e.at(40, func() { proc.Signal(syscall.SIGKILL); proc.Wait() })
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(e.dir, "run", "report.json")); err == nil {
		t.Fatalf("a killed run wrote report.json\n%s", errb)
	}
	e.setHook(nil)
	e.run(0, "revert", "--from", "run", "--yes", "--max-removals", "100%", "--allow-empty-groups", "--report-dir", "undo", "--rate", "0")
	if got := memberships(e.srv); strings.Join(got, ",") != strings.Join(before, ",") {
		t.Errorf("after the revert the memberships differ from before the run:\n got %v\nwant %v", got, before)
	}
}

// TestInterruptAtThePrompt: Ctrl-C while apply waits for "y" ends it with 130,
// writing nothing and sending nothing.
func TestInterruptAtThePrompt(t *testing.T) {
	e := newE2E(t, moveSite(20, 4), sandbox.Faults{})
	csv := moveCSV(t, 20, 4)
	cmd, _, _ := e.command("apply", "--file", csv, "--max-removals", "100%", "--report-dir", "run", "--rate", "0")
	cmd.Env = append(cmd.Env, "ACS_BULK_FORCE_TTY=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	cmd.Stderr = nil
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var seen strings.Builder
	for !strings.Contains(seen.String(), "Continue? [y/N]") {
		n, err := stderr.Read(buf)
		if err != nil {
			t.Fatalf("no prompt: %v\n%s", err, seen.String())
		}
		seen.Write(buf[:n])
	}
	cmd.Process.Signal(syscall.SIGINT)
	rest, _ := io.ReadAll(stderr)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d, want 130\n%s%s", code, seen.String(), rest)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "run")); err == nil {
		t.Errorf("an interrupted prompt created the report directory")
	}
	if n := e.changes.Load(); n != 0 {
		t.Errorf("%d changes were sent", n)
	}
}
