package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// BenchmarkPlanExternal runs acs-bulk plan --file $ACS_BULK_BENCH_CSV
// against a sandbox in another process ($SEAM_ENDPOINT, $SEAM_API_KEY; see
// bench/planscale.sh), so that -cpuprofile and -memprofile show the client
// alone. It is skipped without ACS_BULK_BENCH_CSV.
func BenchmarkPlanExternal(b *testing.B) {
	csv := os.Getenv("ACS_BULK_BENCH_CSV")
	if csv == "" {
		b.Skip("set ACS_BULK_BENCH_CSV, SEAM_ENDPOINT and SEAM_API_KEY (bench/planscale.sh starts a sandbox)")
	}
	io := &IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Getenv: os.Getenv}
	for b.Loop() {
		if code := run(context.Background(), []string{"plan", "--file", csv, "--rate", "0", "--max-removals", "100%", "-q"}, io); code != 0 {
			b.Fatalf("plan exited %d", code)
		}
	}
}
