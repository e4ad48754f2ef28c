package desired

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// writeBenchFile writes a desired-state CSV of n rows and four columns
// (acs_system_id, acs_user_id, email, access_group) into dir, ordered like
// an export: group by group (200 groups over 3 systems), n/4 users who are
// each in 4 groups, so a user's rows are far apart.
func writeBenchFile(tb testing.TB, dir string, n int) string {
	tb.Helper()
	path := filepath.Join(dir, "desired.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("acs_system_id,acs_user_id,email,access_group\n")
	systems := []string{
		"6a0e4a4e-8f1c-4c43-9d36-0f7c3c2a9a01",
		"1b2f6a77-2d4e-4b8f-a0a9-5e3d1c7b8e02",
		"c3d9e8f1-7a6b-4c5d-8e9f-0a1b2c3d4e03",
	}
	const groups = 200
	users := max(n/4, 1)
	perGroup := (n + groups - 1) / groups
	for i := range n {
		g := i / perGroup
		// Member k of group g is user (g mod 50, k): groups g, g+50,
		// g+100 and g+150 have the same members.
		u := (g%50*perGroup + i%perGroup) % users
		sys := systems[g%len(systems)]
		fmt.Fprintf(w, "%s,%08x-5c1e-4d7a-9b2f-%012x,user%d@example.com,Floor %d\n",
			sys, u, u*7919, u, g)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkRead1M reads a 1,000,000-row, 4-column file.
func BenchmarkRead1M(b *testing.B) {
	const n = 1_000_000
	path := writeBenchFile(b, b.TempDir(), n)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		f, err := ReadFile(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(f.Rows) != n {
			b.Fatalf("rows = %d, want %d", len(f.Rows), n)
		}
	}
}

// TestReadMemory measures one read of a large file; it runs only when
// DESIRED_MEM_ROWS is set (e.g. 1000000), and is meant to be run alone
// under /usr/bin/time -v so that the peak RSS is that of the read:
//
//	go test -c -o /tmp/desired.test ./internal/desired
//	DESIRED_MEM_ROWS=1000000 /usr/bin/time -v /tmp/desired.test -test.run TestReadMemory -test.v
func TestReadMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("DESIRED_MEM_ROWS"))
	if n <= 0 {
		t.Skip("set DESIRED_MEM_ROWS to run")
	}
	path := writeBenchFile(t, t.TempDir(), n)
	runtime.GC()
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	f, err := ReadFile(path, Options{})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	t.Logf("%d rows in %v; after the read: HeapInuse %d MB, HeapAlloc %d MB, Sys %d MB, TotalAlloc %d MB, Mallocs %d, NumGC %d; max RSS %d MB (before the read %d MB)",
		len(f.Rows), elapsed, ms.HeapInuse>>20, ms.HeapAlloc>>20, ms.Sys>>20, ms.TotalAlloc>>20, ms.Mallocs, ms.NumGC,
		ru.Maxrss>>10, ru0.Maxrss>>10)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("live after GC with the File kept: HeapAlloc %d MB", ms.HeapAlloc>>20)
	runtime.KeepAlive(f)
}
