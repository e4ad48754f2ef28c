package plan

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/live"
)

// writeBigCSV streams the rows of bigCase(churn) to a CSV file without
// holding them, so that the process's peak memory is what a real run of
// acs-bulk plan holds: the snapshot, the parsed rows and the plan.
func writeBigCSV(tb testing.TB, path string, snap *live.Snapshot, churn int) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("acs_system,access_group,email,acs_user_id\n")
	const groups, users, per = 50, 20000, 10000
	for s := range 2 {
		sname := "System " + strconv.Itoa(s)
		for g := range groups {
			for i := range per {
				u := (g*200 + i + churn) % users
				w.WriteString(sname + ",Group " + strconv.Itoa(g) + ",")
				if i%2 == 0 {
					w.WriteString("user" + strconv.Itoa(u) + "@s" + strconv.Itoa(s) + ".example.com,\n")
				} else {
					w.WriteString(",acs_user_" + strconv.Itoa(s) + "_" + strconv.Itoa(u) + "\n")
				}
			}
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkParseAndPlan1M parses a 1,000,000-row CSV file and plans it
// against 1,000,000 current memberships (the target: under 3 s and
// 600 MB on 2 cores). peak-RSS-MB is the process's high-water mark
// (getrusage), which includes the snapshot and the test binary itself; run
// it alone: go test ./internal/plan -run '^$' -bench ParseAndPlan1M -benchtime 3x
func BenchmarkParseAndPlan1M(b *testing.B) {
	_, snap := bigCaseRows(50, false)
	path := filepath.Join(b.TempDir(), "big.csv")
	writeBigCSV(b, path, snap, 50)
	b.ResetTimer()
	for b.Loop() {
		f, err := desired.ReadFile(path, desired.Options{})
		if err != nil {
			b.Fatal(err)
		}
		p, err := Compute(Input{Rows: f.Rows}, snap, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if p.Totals.Add != 5000 || p.Totals.Remove != 5000 {
			b.Fatalf("summary %+v, want 5000 adds and removes", p.Totals)
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
}
