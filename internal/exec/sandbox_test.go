package exec_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/acs-bulk/acs-bulk/internal/exec"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/report"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// moveWorkspace builds a sandbox state of systems systems with users users
// each, user i in group i%4, and the operations that move every user to
// group (i+1)%4 (adds first), together with the memberships expected after.
func moveWorkspace(systems, users int) (*sandbox.State, []plan.Operation, []sandbox.Membership) {
	st := &sandbox.State{WorkspaceID: "ws1", APIKeys: []string{"seam_test_key"}}
	var adds, removes []plan.Operation
	var want []sandbox.Membership
	for s := range systems {
		sid := fmt.Sprintf("sys%d", s)
		st.AcsSystems = append(st.AcsSystems, sandbox.AcsSystem{AcsSystemID: sid, Name: "Site " + sid})
		group := func(g int) string { return fmt.Sprintf("%s_g%d", sid, g) }
		for g := range 4 {
			st.AcsAccessGroups = append(st.AcsAccessGroups, sandbox.AcsAccessGroup{AcsAccessGroupID: group(g), AcsSystemID: sid, Name: fmt.Sprintf("Group %d", g)})
		}
		for u := range users {
			uid := fmt.Sprintf("%s_u%d", sid, u)
			email := fmt.Sprintf("user%d@%s.example", u, sid)
			st.AcsUsers = append(st.AcsUsers, sandbox.AcsUser{AcsUserID: uid, AcsSystemID: sid, FullName: fmt.Sprintf("User %d", u), EmailAddress: email})
			st.Memberships = append(st.Memberships, sandbox.Membership{AcsAccessGroupID: group(u % 4), AcsUserID: uid})
			want = append(want, sandbox.Membership{AcsAccessGroupID: group((u + 1) % 4), AcsUserID: uid})
			op := plan.Operation{SystemID: sid, SystemName: "Site " + sid, AcsUserID: uid, Email: email, Via: plan.ViaAcsUserID}
			a, r := op, op
			a.Action, a.GroupID, a.GroupName = plan.ActionAdd, group((u+1)%4), fmt.Sprintf("Group %d", (u+1)%4)
			r.Action, r.GroupID, r.GroupName = plan.ActionRemove, group(u%4), fmt.Sprintf("Group %d", u%4)
			adds, removes = append(adds, a), append(removes, r)
		}
	}
	slices.SortFunc(want, func(a, b sandbox.Membership) int {
		return cmp.Or(strings.Compare(a.AcsAccessGroupID, b.AcsAccessGroupID), strings.Compare(a.AcsUserID, b.AcsUserID))
	})
	return st, append(adds, removes...), want
}

// serveSandbox starts the sandbox over st with faults and returns it and a
// client with quick backoff and enough attempts to ride out the faults.
func serveSandbox(t testing.TB, st *sandbox.State, faults sandbox.Faults) (*sandbox.Server, *seam.Client) {
	t.Helper()
	return serveSandboxArriving(t, st, faults, nil)
}

// serveSandboxArriving is serveSandbox whose server sends on arrived as
// each request reaches it (nil: not at all).
func serveSandboxArriving(t testing.TB, st *sandbox.State, faults sandbox.Faults, arrived chan<- struct{}) (*sandbox.Server, *seam.Client) {
	t.Helper()
	srv := sandbox.New(st, sandbox.Options{Faults: faults, Seed: 42})
	var h http.Handler = srv
	if arrived != nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			srv.ServeHTTP(w, r)
		})
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	c, err := seam.New(seam.Options{
		APIKey: srv.APIKeys()[0], Endpoint: hs.URL, Getenv: func(string) string { return "" },
		BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		// 0.2 error rate: 10 attempts all fail with odds 1e-7 per call; the
		// retry budget is a guard against a broken server, not tested here.
		MaxAttempts: 10, RetryBudget: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestSandboxConvergesDespiteServerErrors(t *testing.T) {
	st, ops, want := moveWorkspace(2, 50)
	srv, c := serveSandbox(t, st, sandbox.Faults{ErrorRate: 0.2})
	j := &journal{}
	res, err := exec.Run(context.Background(), c, ops, j.options(exec.Options{Concurrency: 8}))
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 200 {
		t.Fatalf("%d operations", len(ops))
	}
	j.check(t, ops, res)
	if res.Counts[report.Succeeded] != 200 {
		for _, r := range res.Records {
			if r.Status != report.Succeeded {
				t.Errorf("record %d: %s %s %s", r.Seq, r.Status, r.ErrorType, r.ErrorMessage)
			}
		}
	}
	retried := 0
	for _, r := range res.Records {
		if r.RequestID == "" || r.HTTPStatus != 200 {
			t.Errorf("record %d: request id %q status %d", r.Seq, r.RequestID, r.HTTPStatus)
		}
		if r.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no operation needed a retry: the faults were not injected")
	}
	if diff := gocmp.Diff(want, srv.Memberships()); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}
}

func TestSandboxScriptedFailureFailsExactlyThatOperation(t *testing.T) {
	st, ops, _ := moveWorkspace(1, 20)
	const victim = "sys0_u7"
	// Keep the victim's add only: its remove would be held back by
	// make-before-break (tested with the fake).
	ops = slices.DeleteFunc(ops, func(op plan.Operation) bool { return op.Action == plan.ActionRemove && op.AcsUserID == victim })
	f, err := sandbox.ParseScriptedFailure("user=" + victim + ":400:invalid_input")
	if err != nil {
		t.Fatal(err)
	}
	_, c := serveSandbox(t, st, sandbox.Faults{Scripted: []sandbox.ScriptedFailure{f}})
	j := &journal{}
	res, err := exec.Run(context.Background(), c, ops, j.options(exec.Options{Concurrency: 4}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	for _, r := range res.Records {
		if r.AcsUserID != victim {
			if r.Status != report.Succeeded {
				t.Errorf("record %d: %s %s %s", r.Seq, r.Status, r.ErrorType, r.ErrorMessage)
			}
			continue
		}
		if r.Status != report.Failed || r.HTTPStatus != 400 || r.ErrorType != "invalid_input" || r.RequestID == "" || r.Attempts != 1 {
			t.Errorf("victim's record: %+v", r)
		}
	}
	if res.Counts[report.Failed] != 1 || res.Stopped != "" {
		t.Errorf("counts %v stopped %q", res.Counts, res.Stopped)
	}
}

func TestSandboxRevokedKeyStopsTheRun(t *testing.T) {
	st, ops, _ := moveWorkspace(1, 40)
	srv, c := serveSandbox(t, st, sandbox.Faults{})
	srv.RevokeAPIKeys()
	j := &journal{}
	res, err := exec.Run(context.Background(), c, ops, j.options(exec.Options{Concurrency: 4}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	if res.Stopped != "authentication failed (401)" {
		t.Errorf("stopped %q", res.Stopped)
	}
	if n := res.Counts[report.Failed]; n < 1 || n > 4 {
		t.Errorf("%d failed, want 1 to 4 (one round of in-flight requests)", n)
	}
	if res.Counts[report.NotAttempted] != len(ops)-res.Counts[report.Failed] {
		t.Errorf("counts %v", res.Counts)
	}
}

func TestSandboxDrainTimeoutCutsASlowRequest(t *testing.T) {
	st, ops, _ := moveWorkspace(1, 4)
	// The removes: a DELETE has no body. (The sandbox's latency wait does
	// not end when a PUT is cancelled: net/http notices a client that went
	// away only once the handler has read the request body.)
	ops = ops[4:]
	// Stopped once both requests are on the server, not merely started:
	// a request still in the client's pacer at the stop is not sent.
	arrived := make(chan struct{}, len(ops))
	srv, c := serveSandboxArriving(t, st, sandbox.Faults{Latency: time.Hour}, arrived)
	stop := make(chan struct{})
	go func() {
		<-arrived
		<-arrived
		close(stop)
	}()
	j := &journal{}
	res, err := exec.Run(context.Background(), c, ops, j.options(exec.Options{Concurrency: 2, Stop: stop, DrainTimeout: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, ops, res)
	if got := statuses(res); got != "FF--" {
		t.Errorf("statuses %s, want FF--", got)
	}
	for _, r := range res.Records[:2] {
		if r.ErrorType != exec.ErrorTypeInterrupted || !strings.Contains(r.ErrorMessage, "outcome is unknown") {
			t.Errorf("record %d: %s %q %q", r.Seq, r.Status, r.ErrorType, r.ErrorMessage)
		}
	}
	if n := len(srv.MembershipLog()); n != 0 {
		t.Errorf("%d membership changes", n)
	}
}
