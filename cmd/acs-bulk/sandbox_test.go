package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/sandbox"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// acsBulkProcess starts this test binary as acs-bulk with args.
func acsBulkProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ACS_BULK_TEST_MAIN=1")
	return cmd
}

// TestSandboxServesUntilInterrupted runs `acs-bulk sandbox` as a real process:
// it prints the variables to export, serves the sample site to the client,
// and on SIGINT stops and saves the state, changes included.
func TestSandboxServesUntilInterrupted(t *testing.T) {
	saved := filepath.Join(t.TempDir(), "after.json")
	cmd := acsBulkProcess(t, "sandbox", "--state", "../../samples/harbor-site.json", "--listen", "127.0.0.1:0", "--save", saved)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	env := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for len(env) < 2 && sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if !ok {
			t.Fatalf("unexpected output line %q", sc.Text())
		}
		env[k] = v
	}
	if env["SEAM_API_KEY"] != sandbox.SampleAPIKey || !strings.HasPrefix(env["SEAM_ENDPOINT"], "http://127.0.0.1:") {
		t.Fatalf("printed %v", env)
	}

	c, err := seam.New(seam.Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	systems, err := c.ListSystems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(systems) != 2 {
		t.Fatalf("listed %d systems, want the sample's 2", len(systems))
	}
	groups, err := c.ListAccessGroups(ctx, systems[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	users, err := c.ListUsers(ctx, systems[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	members, err := c.ListGroupUsers(ctx, groups[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	isMember := map[string]bool{}
	for _, u := range members {
		isMember[u.ID] = true
	}
	var newcomer string
	for _, u := range users {
		if !isMember[u.ID] {
			newcomer = u.ID
			break
		}
	}
	if _, err := c.AddUserToGroup(ctx, groups[0].ID, newcomer); err != nil {
		t.Fatal(err)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sandbox exited with %v after SIGINT; stderr:\n%s", err, stderr.String())
	}
	st, err := sandbox.LoadState(saved)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range st.Memberships {
		found = found || m.AcsAccessGroupID == groups[0].ID && m.AcsUserID == newcomer
	}
	if !found {
		t.Errorf("saved state lacks the membership added before the interrupt")
	}
	if strings.Contains(stderr.String(), sandbox.SampleAPIKey) {
		t.Errorf("the key appears in the log:\n%s", stderr.String())
	}
}
