package exec_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/exec"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/report"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// TestStopLeavesRequestsQueuedInThePacerUnsent is issue 10's SIGINT case
// with the real client: at one request per 1000 s, the first add leaves at
// once and the others wait in the client's pacer. The stop arrives while the
// first is on the wire: it drains and succeeds; the nine others are
// not_attempted with the run's reason, and the server saw one change.
func TestStopLeavesRequestsQueuedInThePacerUnsent(t *testing.T) {
	st, ops, _ := moveWorkspace(1, 10)
	var adds []plan.Operation
	for _, op := range ops {
		if op.Action == plan.ActionAdd {
			adds = append(adds, op)
		}
	}
	srv := sandbox.New(st, sandbox.Options{Seed: 42})
	stop := make(chan struct{})
	var once sync.Once
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/add_user") {
			once.Do(func() { close(stop) }) // SIGINT while the first is on the wire
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	c, err := seam.New(seam.Options{
		APIKey: srv.APIKeys()[0], Endpoint: hs.URL, Getenv: func(string) string { return "" },
		Rate: 0.001, Burst: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	j := &journal{}
	// Without the stop reaching the pacer, the queued requests would wait
	// for the drain timeout and be recorded failed: the test would fail a
	// minute in, not hang.
	res, err := exec.Run(context.Background(), c, adds, j.options(exec.Options{Concurrency: 4, Stop: stop, DrainTimeout: time.Minute}))
	if err != nil {
		t.Fatal(err)
	}
	j.check(t, adds, res)
	if res.Counts[report.Succeeded] != 1 || res.Counts[report.NotAttempted] != 9 || res.Counts[report.Failed] != 0 {
		t.Fatalf("counts %v, want 1 succeeded and 9 not attempted", res.Counts)
	}
	if res.Stopped != exec.StoppedInterrupted {
		t.Errorf("stopped %q", res.Stopped)
	}
	var sent string
	for _, r := range res.Records {
		switch r.Status {
		case report.Succeeded:
			sent = r.AcsUserID
			if r.Attempts != 1 || r.RequestID == "" {
				t.Errorf("the sent add: %+v", r)
			}
		case report.NotAttempted:
			if r.ErrorType != exec.ErrorTypeInterrupted || r.ErrorMessage != "not sent: the run was interrupted" || r.Attempts != 0 || r.RequestID != "" {
				t.Errorf("not attempted record: %+v", r)
			}
		}
	}
	changes := srv.MembershipLog()
	if len(changes) != 1 || changes[0].AcsUserID != sent || changes[0].Action != "add" {
		t.Errorf("the server's changes: %+v, want the one add of %s", changes, sent)
	}
	if st := c.Stats(); st.Requests != 1 {
		t.Errorf("the client sent %d requests, want 1", st.Requests)
	}
}
