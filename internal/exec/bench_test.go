package exec_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/exec"
	"github.com/acs-bulk/acs-bulk/internal/exec/exectest"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/report"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// instant is a Client that answers at once: the benchmark measures the
// executor itself.
type instant struct{}

func (instant) AddUserToGroup(context.Context, string, string) (seam.Meta, error) {
	return seam.Meta{Attempts: 1, Status: 200, RequestID: "req"}, nil
}

func (instant) AddUserIdentityToGroup(context.Context, string, string) (seam.Meta, error) {
	return seam.Meta{Attempts: 1, Status: 200, RequestID: "req"}, nil
}

func (instant) RemoveUserFromGroup(context.Context, string, string) (seam.Meta, error) {
	return seam.Meta{Attempts: 1, Status: 200, RequestID: "req"}, nil
}

func BenchmarkRun(b *testing.B) {
	const n = 10_000
	ops := make([]plan.Operation, 0, n)
	for i := range n / 2 {
		ops = append(ops, exectest.Add("s1", "g2", fmt.Sprintf("u%d", i)))
	}
	for i := range n / 2 {
		ops = append(ops, exectest.Remove("s1", "g1", fmt.Sprintf("u%d", i)))
	}
	for _, conc := range []int{1, 8} {
		b.Run(fmt.Sprintf("concurrency %d", conc), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := exec.Run(context.Background(), instant{}, ops, exec.Options{
					Concurrency: conc,
					Record:      func(report.Record) error { return nil },
				})
				if err != nil || res.Counts[report.Succeeded] != n {
					b.Fatalf("%v %v", err, res.Counts)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}
