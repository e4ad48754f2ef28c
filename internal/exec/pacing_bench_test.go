package exec_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/exec"
	"github.com/acs-bulk/acs-bulk/internal/report"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// The pacing benchmarks: 3,000 operations (1,500 users moved from
// one group to another) through the real client and the sandbox on
// loopback. Each takes a minute or more; run them one at a time:
//
//	go test ./internal/exec -run '^$' -bench 'Pacing' -benchtime 1x -timeout 30m

func pacingRun(b *testing.B, faults sandbox.Faults, opts seam.Options, concurrency int) (ops int, elapsed time.Duration, srv *sandbox.Server, c *seam.Client) {
	st, todo, _ := moveWorkspace(1, 1500)
	srv = sandbox.New(st, sandbox.Options{Faults: faults, Seed: 42})
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	opts.APIKey, opts.Endpoint, opts.Getenv = srv.APIKeys()[0], hs.URL, func(string) string { return "" }
	c, err := seam.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	res, err := exec.Run(context.Background(), c, todo, exec.Options{Concurrency: concurrency})
	elapsed = time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if res.Counts[report.Succeeded] != len(todo) {
		b.Fatalf("counts %v", res.Counts)
	}
	return len(todo), elapsed, srv, c
}

// BenchmarkPacingRateBound: 100 ms latency, --rate 50 --concurrency 16: the
// rate allows 3,000 operations in 60 s; ratio is the wall time over that.
func BenchmarkPacingRateBound(b *testing.B) {
	for b.Loop() {
		n, elapsed, _, _ := pacingRun(b, sandbox.Faults{Latency: 100 * time.Millisecond}, seam.Options{Rate: 50, Burst: 1, Adaptive: true}, 16)
		ideal := time.Duration(float64(n) / 50 * float64(time.Second))
		b.ReportMetric(elapsed.Seconds(), "wall-s")
		b.ReportMetric(elapsed.Seconds()/ideal.Seconds(), "ratio")
	}
}

// BenchmarkPacingGoodput: a sandbox that accepts 30 requests/s and answers
// 429 with Retry-After above it, against --rate 100 (adaptive) --concurrency
// 16: goodput (successful operations per second) and the share of 429s.
func BenchmarkPacingGoodput(b *testing.B) {
	for b.Loop() {
		n, elapsed, srv, c := pacingRun(b, sandbox.Faults{RateLimit: 30, RateBurst: 30}, seam.Options{Rate: 100, Burst: 5, Adaptive: true, MaxAttempts: 10}, 16)
		st := c.Stats()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "goodput-ops/s")
		b.ReportMetric(float64(n)/elapsed.Seconds()/30*100, "goodput-%-of-30")
		b.ReportMetric(float64(st.Throttled)/float64(st.Requests)*100, "429-%")
		b.ReportMetric(st.LowestRate, "lowest-rate")
		_ = srv
	}
}

// BenchmarkPacingSequential: the same 3,000 operations one after another,
// as a script calling the API in a loop does, at 100 ms latency.
func BenchmarkPacingSequential(b *testing.B) {
	for b.Loop() {
		n, elapsed, _, _ := pacingRun(b, sandbox.Faults{Latency: 100 * time.Millisecond}, seam.Options{}, 1)
		b.ReportMetric(elapsed.Seconds(), "wall-s")
		b.ReportMetric(float64(n)/elapsed.Seconds(), "ops/s")
	}
}
