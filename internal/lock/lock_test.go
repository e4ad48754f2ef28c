package lock

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func acquire(t *testing.T, path, holder string) *Lock {
	t.Helper()
	l, err := Acquire(path, holder)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Release() })
	return l
}

func heldError(t *testing.T, err error) *HeldError {
	t.Helper()
	var held *HeldError
	if !errors.As(err, &held) {
		t.Fatalf("error = %v, want a *HeldError", err)
	}
	return held
}

func TestSecondAcquireInTheSameProcessIsRefusedUntilRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", ".acs-bulk.lock")
	first := acquire(t, path, "pid 1 on host x since 2026-11-22T19:30:00Z: acs-bulk apply --file f.csv")

	_, err := Acquire(path, "second")
	held := heldError(t, err)
	if held.Path != path || held.Holder != "pid 1 on host x since 2026-11-22T19:30:00Z: acs-bulk apply --file f.csv" {
		t.Errorf("HeldError = %+v", held)
	}
	want := "another acs-bulk run holds " + path + ": pid 1 on host x since 2026-11-22T19:30:00Z: acs-bulk apply --file f.csv"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}

	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	if err := first.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	acquire(t, path, "third")
	if b, err := os.ReadFile(path); err != nil || string(b) != "third\n" {
		t.Errorf("lock file = %q, %v; want the new holder alone", b, err)
	}
	assertMode(t, path, 0o600)
	assertMode(t, filepath.Dir(path), 0o700|os.ModeDir)
	assertMode(t, filepath.Dir(filepath.Dir(path)), 0o700|os.ModeDir)
}

func TestHeldErrorBeforeTheHolderHasWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".acs-bulk.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if held, err := tryLock(f); err != nil || held {
		t.Fatalf("tryLock = %v, %v", held, err)
	}
	_, err = Acquire(path, "me")
	if held := heldError(t, err); held.Holder != "" {
		t.Errorf("Holder = %q, want empty", held.Holder)
	}
	if !strings.Contains(err.Error(), "another acs-bulk run holds "+path) {
		t.Errorf("error = %q", err)
	}
}

func TestReleaseKeepsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".acs-bulk.lock")
	l := acquire(t, path, "me")
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("lock file after Release: %v", err)
	}
}

const holdHelperEnv = "ACS_BULK_TEST_LOCK_HOLD"

// TestLockHoldHelper is not a test: run as a subprocess by
// TestLockOfAKilledProcessIsReleased, it takes the lock, says "locked" and
// waits to be killed.
func TestLockHoldHelper(t *testing.T) {
	path := os.Getenv(holdHelperEnv)
	if path == "" {
		return
	}
	if _, err := Acquire(path, Describe(time.Date(2026, 11, 22, 19, 30, 0, 0, time.UTC), "acs-bulk apply --file f.csv")); err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin) // until killed (or the parent goes away)
	os.Exit(3)
}

func TestLockOfAKilledProcessIsReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".acs-bulk.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHoldHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), holdHelperEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	sc := bufio.NewScanner(stdout)
	var seen []string
	for sc.Scan() && sc.Text() != "locked" {
		seen = append(seen, sc.Text())
	}
	if sc.Text() != "locked" {
		t.Fatalf("helper did not lock; it said %q", seen)
	}

	_, err = Acquire(path, "parent")
	held := heldError(t, err)
	wantHolder := fmt.Sprintf("pid %d on host ", cmd.Process.Pid)
	if !strings.HasPrefix(held.Holder, wantHolder) || !strings.HasSuffix(held.Holder, " since 2026-11-22T19:30:00Z: acs-bulk apply --file f.csv") {
		t.Errorf("Holder = %q, want the helper's description (%q...)", held.Holder, wantHolder)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	waited = true
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("helper: %v, want death by SIGKILL", err)
	}
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper ended with %v, want SIGKILL", err)
	}
	// The process is reaped, so the kernel has closed its files: no wait.
	acquire(t, path, "parent")
}

// TestWorkspaceLockPath: the lock is the workspace's, whatever endpoint it
// is reached at (the endpoint is not an input); another workspace identity
// is another lock; the identity does not appear in the path.
func TestWorkspaceLockPath(t *testing.T) {
	dir := t.TempDir()
	const ws = "key:2f6c9a2e77aa01bc"
	path := func(dir, ws string) string {
		t.Helper()
		p, err := WorkspaceLockPath(dir, ws)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := path(dir, ws)
	if filepath.Dir(base) != dir {
		t.Errorf("%s is not in %s", base, dir)
	}
	if strings.Contains(base, "2f6c9a2e") {
		t.Errorf("%s contains the workspace identity", base)
	}
	if p := path(dir, ws); p != base {
		t.Errorf("the same workspace gives %s and %s", base, p)
	}
	if p := path(dir, "workspace:ws_1"); p == base {
		t.Errorf("another workspace gives the same lock %s", p)
	}
	if _, err := WorkspaceLockPath(dir, ""); err == nil {
		t.Errorf("an empty workspace identity was accepted")
	}
}

func TestWorkspaceLockPathDefaultsToTheUserCache(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skip(err)
	}
	p, err := WorkspaceLockPath("", "ws")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cache, "acs-bulk", "locks"); filepath.Dir(p) != want {
		t.Errorf("%s is not in %s", p, want)
	}
	l := acquire(t, p, "me")
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestDescribe(t *testing.T) {
	got := Describe(time.Date(2026, 11, 22, 20, 30, 0, 0, time.FixedZone("CET", 3600)), "acs-bulk apply --file f.csv")
	prefix := fmt.Sprintf("pid %d on host ", os.Getpid())
	suffix := " since 2026-11-22T19:30:00Z: acs-bulk apply --file f.csv"
	if !strings.HasPrefix(got, prefix) || !strings.HasSuffix(got, suffix) {
		t.Errorf("Describe = %q, want %q...%q", got, prefix, suffix)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}
