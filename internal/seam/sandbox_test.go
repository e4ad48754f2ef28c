package seam_test

// The client against the real sandbox server, faults on, every request and
// response checked against the OpenAPI document.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/acs-bulk/acs-bulk/internal/contract"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// site is one system with one group and n users, none of them members.
func site(n int) *sandbox.State {
	st := &sandbox.State{
		WorkspaceID: "ws1",
		APIKeys:     []string{"seam_test_key"},
		AcsSystems:  []sandbox.AcsSystem{{AcsSystemID: "sys1", Name: "Harbor Tower"}},
		AcsAccessGroups: []sandbox.AcsAccessGroup{
			{AcsAccessGroupID: "ag_lobby", AcsSystemID: "sys1", Name: "Lobby"},
		},
	}
	for i := range n {
		st.AcsUsers = append(st.AcsUsers, sandbox.AcsUser{AcsUserID: fmt.Sprintf("u%04d", i), AcsSystemID: "sys1", FullName: fmt.Sprintf("User %d", i), EmailAddress: fmt.Sprintf("user%d@harbor.example", i)})
	}
	return st
}

type rig struct {
	srv    *sandbox.Server
	client *seam.Client
	// seen receives the status of every response that reached the client
	// (after the contract check), when not nil.
	seen chan int
}

// newRig serves st with the faults and returns a client with quick backoff
// (the waits are real but short; no assertion depends on them).
func newRig(t *testing.T, st *sandbox.State, faults sandbox.Faults, opts seam.Options) *rig {
	t.Helper()
	return newRigWith(t, st, sandbox.Options{Faults: faults, Seed: 7}, opts)
}

// newRigWith is newRig with every option of the sandbox.
func newRigWith(t *testing.T, st *sandbox.State, sopts sandbox.Options, opts seam.Options) *rig {
	t.Helper()
	r := &rig{srv: sandbox.New(st, sopts)}
	hs := httptest.NewServer(r.srv)
	t.Cleanup(hs.Close)
	spec, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	checked := spec.Transport(hs.Client().Transport, func(err error) {
		mu.Lock()
		defer mu.Unlock()
		t.Errorf("contract: %v", err)
	})
	opts.HTTPClient = &http.Client{Transport: roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := checked.RoundTrip(req)
		if err == nil && r.seen != nil {
			r.seen <- resp.StatusCode
		}
		return resp, err
	})}
	opts.APIKey = r.srv.APIKeys()[0]
	opts.Endpoint = hs.URL
	opts.Getenv = func(string) string { return "" }
	if opts.BaseBackoff == 0 {
		opts.BaseBackoff = time.Millisecond
		opts.MaxBackoff = 10 * time.Millisecond
	}
	r.client, err = seam.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// addAll adds users u0000..u(n-1) to the lobby from 16 goroutines and
// checks that every add succeeded and the lobby holds exactly them.
func addAll(t *testing.T, r *rig, n int) {
	t.Helper()
	var g errgroup.Group
	g.SetLimit(16)
	for i := range n {
		g.Go(func() error {
			_, err := r.client.AddUserToGroup(context.Background(), "ag_lobby", fmt.Sprintf("u%04d", i))
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("an add failed: %v", err)
	}
	members := r.srv.Memberships()
	if len(members) != n {
		t.Fatalf("lobby has %d members, want %d", len(members), n)
	}
	for i, m := range members {
		if want := fmt.Sprintf("u%04d", i); m.AcsUserID != want || m.AcsAccessGroupID != "ag_lobby" {
			t.Fatalf("membership %d is %+v, want %s in ag_lobby", i, m, want)
		}
	}
}

func TestClientConvergesUnderFaults(t *testing.T) {
	cases := []struct {
		name   string
		faults sandbox.Faults
		opts   seam.Options
		n      int
		// check inspects the server's statistics after the run.
		check func(t *testing.T, byStatus map[int]int, stats seam.Stats)
	}{
		{
			name:   "429 storm with Retry-After",
			faults: sandbox.Faults{RateLimit: 40, RateBurst: 5},
			opts:   seam.Options{Rate: 100, Burst: 10, Adaptive: true},
			n:      60,
			check: func(t *testing.T, byStatus map[int]int, stats seam.Stats) {
				if byStatus[429] == 0 || stats.Throttled != int64(byStatus[429]) {
					t.Errorf("server answered %d 429s, client counted %d; want some, equal", byStatus[429], stats.Throttled)
				}
				if stats.LowestRate >= 100 {
					t.Errorf("adaptive pacing never lowered the rate (lowest %v)", stats.LowestRate)
				}
			},
		},
		{
			name:   "20% server errors",
			faults: sandbox.Faults{ErrorRate: 0.2},
			n:      200,
			check: func(t *testing.T, byStatus map[int]int, stats seam.Stats) {
				if byStatus[500]+byStatus[503] == 0 {
					t.Errorf("no 5xx were injected: %v", byStatus)
				}
			},
		},
		{
			name:   "20% dropped connections",
			faults: sandbox.Faults{DropRate: 0.2},
			n:      200,
			check: func(t *testing.T, byStatus map[int]int, stats seam.Stats) {
				if byStatus[0] == 0 {
					t.Errorf("no connection was dropped: %v", byStatus)
				}
			},
		},
		{
			name:   "answers lost after the change was made",
			faults: sandbox.Faults{ErrorRate: 0.1, DropRate: 0.1, FailAfterCommit: true},
			n:      200,
			check:  func(t *testing.T, byStatus map[int]int, stats seam.Stats) {},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := c.opts
			opts.MaxAttempts, opts.RetryBudget = 12, -1
			r := newRig(t, site(c.n), c.faults, opts)
			addAll(t, r, c.n)
			c.check(t, r.srv.Stats().ByStatus, r.client.Stats())
		})
	}
}

func TestClientStopsOn401(t *testing.T) {
	r := newRig(t, site(1), sandbox.Faults{}, seam.Options{})
	r.srv.RevokeAPIKeys()
	_, err := r.client.ListSystems(context.Background())
	var apiErr *seam.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Type != "unauthorized" || apiErr.Attempts != 1 || apiErr.Retryable {
		t.Fatalf("got %#v, want a non-retryable 401 unauthorized after 1 attempt", err)
	}
	if got := r.srv.Stats().Requests; got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

func TestClientNeverRetries400Or404(t *testing.T) {
	fail, err := sandbox.ParseScriptedFailure("user=u0000:400:invalid_input")
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, site(2), sandbox.Faults{Scripted: []sandbox.ScriptedFailure{fail}}, seam.Options{})
	cases := []struct {
		name       string
		call       func() (seam.Meta, error)
		status     int
		errType    string
		serverSeen int
	}{
		{"scripted 400", func() (seam.Meta, error) {
			return r.client.AddUserToGroup(context.Background(), "ag_lobby", "u0000")
		}, 400, "invalid_input", 1},
		{"unknown group 404", func() (seam.Meta, error) {
			return r.client.AddUserToGroup(context.Background(), "ag_nowhere", "u0001")
		}, 404, "acs_access_group_not_found", 2},
		{"unknown user 404", func() (seam.Meta, error) {
			return r.client.RemoveUserFromGroup(context.Background(), "ag_lobby", "u_nobody")
		}, 404, "acs_user_not_found", 3},
	}
	for _, c := range cases {
		meta, err := c.call()
		var apiErr *seam.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != c.status || apiErr.Type != c.errType || apiErr.Attempts != 1 {
			t.Errorf("%s: got %v, want %d %s after 1 attempt", c.name, err, c.status, c.errType)
			continue
		}
		if meta.Attempts != 1 || meta.RequestID == "" || meta.RequestID != apiErr.RequestID {
			t.Errorf("%s: meta %+v, error request id %q", c.name, meta, apiErr.RequestID)
		}
		if got := r.srv.Stats().Requests; got != c.serverSeen {
			t.Errorf("%s: server saw %d requests in all, want %d", c.name, got, c.serverSeen)
		}
	}
}

// TestCancelEndsRetryAfterPause: the server asks for a pause (Retry-After of
// at least a second); cancelling the context while the client waits ends the
// call at once with the context's error.
func TestCancelEndsRetryAfterPause(t *testing.T) {
	r := newRig(t, site(2), sandbox.Faults{RateLimit: 0.001, RateBurst: 1}, seam.Options{MaxAttempts: 5})
	r.seen = make(chan int, 10)
	if _, err := r.client.ListSystems(context.Background()); err != nil {
		t.Fatal(err) // the burst lets the first request through
	}
	<-r.seen
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.client.ListSystems(ctx)
		done <- err
	}()
	if status := <-r.seen; status != http.StatusTooManyRequests {
		t.Fatalf("second request got %d, want 429", status)
	}
	cancel() // the client is now waiting out Retry-After (the server said >= 1000 s)
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if got := r.srv.Stats().Requests; got != 2 {
		t.Errorf("server saw %d requests, want 2 (no retry after the cancel)", got)
	}
}

func TestListUsersPagesAgainstSandbox(t *testing.T) {
	for _, n := range []int{0, 1, 500, 501, 1001} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := newRig(t, site(n), sandbox.Faults{}, seam.Options{})
			users, err := r.client.ListUsers(context.Background(), "sys1")
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, u := range users {
				seen[u.ID]++
			}
			if len(users) != n || len(seen) != n {
				t.Fatalf("got %d users (%d distinct), want %d", len(users), len(seen), n)
			}
			for i := range n {
				if id := fmt.Sprintf("u%04d", i); seen[id] != 1 {
					t.Fatalf("user %s seen %d times", id, seen[id])
				}
			}
			pages := max(1, (n+499)/500)
			if got := r.srv.Stats().ByRoute["/acs/users/list"]; got != pages {
				t.Errorf("%d page requests, want %d", got, pages)
			}
		})
	}
}

// BenchmarkClientAgainstSandbox measures the client's requests/s against the
// sandbox on loopback, limiter off, 8 goroutines (adds and removes, so every
// request changes state).
func BenchmarkClientAgainstSandbox(b *testing.B) {
	srv := sandbox.New(site(1000), sandbox.Options{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, err := seam.New(seam.Options{APIKey: srv.APIKeys()[0], Endpoint: hs.URL, Getenv: func(string) string { return "" }})
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4) // 4 x GOMAXPROCS goroutines
	var next sync.Mutex
	i := 0
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			next.Lock()
			i++
			u := fmt.Sprintf("u%04d", i%1000)
			add := (i/1000)%2 == 0
			next.Unlock()
			var err error
			if add {
				_, err = c.AddUserToGroup(context.Background(), "ag_lobby", u)
			} else {
				_, err = c.RemoveUserFromGroup(context.Background(), "ag_lobby", u)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// clock is a fake clock for the sandbox, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestClientReadsEveryAsyncState: what verify needs, through the real client
// against the sandbox: a change pending on the user and on the group, a
// deferred one on both sides, and one the access system refused, with its
// error and created_at.
func TestClientReadsEveryAsyncState(t *testing.T) {
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	r := newRigWith(t, site(3), sandbox.Options{Now: clk.Now, PropagationDelay: time.Minute, Faults: sandbox.Faults{
		Defer: []sandbox.Target{{AcsUserID: "u0001"}}, AcsReject: []sandbox.Target{{AcsUserID: "u0002"}},
	}}, seam.Options{})
	ctx := context.Background()
	for _, u := range []string{"u0000", "u0001", "u0002"} {
		if _, err := r.client.AddUserToGroup(ctx, "ag_lobby", u); err != nil {
			t.Fatal(err)
		}
	}
	members, err := r.client.ListGroupUsers(ctx, "ag_lobby")
	if err != nil || len(members) != 3 {
		t.Fatalf("members %+v, %v", members, err)
	}
	byID := map[string]seam.User{}
	for _, u := range members {
		byID[u.ID] = u
	}
	for id, want := range map[string]string{"u0000": seam.MutationUpdatingGroupMembership, "u0001": seam.MutationDeferringGroupMembershipUpdate, "u0002": seam.MutationUpdatingGroupMembership} {
		ms := byID[id].GroupMutations("ag_lobby")
		if len(ms) != 1 || ms[0].MutationCode != want || !ms[0].Adding() {
			t.Errorf("%s: mutations %+v, want one adding %s", id, ms, want)
			continue
		}
		if at, ok := ms[0].Created(); !ok || !at.Equal(clk.Now()) {
			t.Errorf("%s: created_at %q", id, ms[0].CreatedAt)
		}
	}
	if m := byID["u0001"].PendingMutations[0]; m.AccessGroupID != "ag_lobby" || m.Variant != seam.VariantAdding {
		t.Errorf("deferred mutation %+v", m)
	}
	g, err := r.client.GetAccessGroup(ctx, "ag_lobby")
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"u0000": seam.MutationUpdatingUserMembership, "u0001": seam.MutationDeferringUserMembershipUpdate, "u0002": seam.MutationUpdatingUserMembership} {
		if ms := g.UserMutations(id); len(ms) != 1 || ms[0].MutationCode != want || !ms[0].Adding() {
			t.Errorf("group side of %s: %+v, want one adding %s", id, ms, want)
		}
	}
	if len(g.Errors) != 0 {
		t.Errorf("group errors %+v", g.Errors)
	}

	clk.Advance(time.Minute) // every change reaches the access system; u0002's is refused
	users, err := r.client.ListUsers(ctx, "sys1")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if len(u.PendingMutations) != 0 {
			t.Errorf("%s still pending: %+v", u.ID, u.PendingMutations)
		}
		failed := u.ErrorsWithCode(seam.ErrorFailedToUpdateOnAcsSystem)
		if u.ID != "u0002" {
			if len(u.Errors) != 0 {
				t.Errorf("%s errors %+v", u.ID, u.Errors)
			}
			continue
		}
		if len(failed) != 1 {
			t.Fatalf("refused user errors %+v, want one %s", u.Errors, seam.ErrorFailedToUpdateOnAcsSystem)
		}
		if at, ok := failed[0].Created(); !ok || !at.Equal(clk.Now()) || !strings.Contains(failed[0].Message, `"Lobby" (ag_lobby)`) {
			t.Errorf("refusal %+v, want created at %v naming the group", failed[0], clk.Now())
		}
	}
	members, err = r.client.ListGroupUsers(ctx, "ag_lobby")
	if err != nil || len(members) != 2 || members[0].ID != "u0000" || members[1].ID != "u0001" {
		t.Errorf("members after the refusal %+v, %v; want u0000 and u0001", members, err)
	}
	if g, err := r.client.GetAccessGroup(ctx, "ag_lobby"); err != nil || len(g.PendingMutations) != 0 {
		t.Errorf("group after the delay %+v, %v", g.PendingMutations, err)
	}
}
