package desired

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
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

// scaleFile is the plan-at-scale workload's CSV (1,000,000 rows of
// acs_system,access_group,email,full_name), made by
// `python3 ../shared/bench/perfgen.py 1000000 /tmp/scale-1m`; DESIRED_SCALE_FILE
// names another. The benchmarks on it skip when it is absent.
func scaleFile(tb testing.TB) string {
	tb.Helper()
	path := os.Getenv("DESIRED_SCALE_FILE")
	if path == "" {
		path = "/tmp/scale-1m/desired.csv"
	}
	if _, err := os.Stat(path); err != nil {
		tb.Skipf("no %s (make it with perfgen.py): %v", path, err)
	}
	return path
}

// BenchmarkReadScale1M reads the plan-at-scale CSV with Read.
func BenchmarkReadScale1M(b *testing.B) {
	path := scaleFile(b)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadFile(path, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// baselineRow is what the encoding/csv reference keeps of a record.
type baselineRow struct {
	System, Group, Email, FullName string
}

// readBaseline is the reference Read is measured against: what a careful
// engineer writes with encoding/csv alone to load the plan-at-scale file
// into memory (every record kept as a struct of its fields, which share the
// record's string), with no checks at all.
func readBaseline(path string) ([]baselineRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		return nil, err
	}
	var rows []baselineRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, baselineRow{rec[0], rec[1], rec[2], rec[3]})
	}
}

// BenchmarkEncodingCSVScale1M is the encoding/csv reference on the
// plan-at-scale CSV.
func BenchmarkEncodingCSVScale1M(b *testing.B) {
	path := scaleFile(b)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readBaseline(path); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReadScaleOnce reads the plan-at-scale CSV once, with Read or (when
// DESIRED_SCALE_MODE=encoding/csv) with the encoding/csv reference, so that
// /usr/bin/time measures the peak RSS of one read; it runs only when
// DESIRED_SCALE_MODE is set:
//
//	go test -c -o /tmp/desired.test ./internal/desired
//	DESIRED_SCALE_MODE=read /usr/bin/time -f '%e s %M KB' /tmp/desired.test -test.run TestReadScaleOnce -test.v
//	DESIRED_SCALE_MODE=encoding/csv /usr/bin/time -f '%e s %M KB' /tmp/desired.test -test.run TestReadScaleOnce -test.v
func TestReadScaleOnce(t *testing.T) {
	mode := os.Getenv("DESIRED_SCALE_MODE")
	if mode == "" {
		t.Skip("set DESIRED_SCALE_MODE to read or encoding/csv to run")
	}
	path := scaleFile(t)
	start := time.Now()
	var n int
	switch mode {
	case "read":
		f, err := ReadFile(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		n = len(f.Rows)
		defer runtime.KeepAlive(f)
	case "encoding/csv":
		rows, err := readBaseline(path)
		if err != nil {
			t.Fatal(err)
		}
		n = len(rows)
		defer runtime.KeepAlive(rows)
	default:
		t.Fatalf("DESIRED_SCALE_MODE=%q: want read or encoding/csv", mode)
	}
	t.Logf("%s: %d rows in %v", mode, n, time.Since(start))
}
