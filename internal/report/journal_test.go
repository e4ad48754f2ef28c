package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acs-bulk/acs-bulk/internal/plan"
)

// sampleRecord returns a record with every field set, distinct per seq.
func sampleRecord(seq int) Record {
	statuses := Statuses()
	return Record{
		Seq: seq,
		Operation: plan.Operation{
			Action:         []plan.Action{plan.ActionAdd, plan.ActionRemove}[seq%2],
			SystemID:       "sys-" + strconv.Itoa(seq%3),
			SystemName:     "Harbor Tower",
			GroupID:        "grp-" + strconv.Itoa(seq%5),
			GroupName:      "Floor " + strconv.Itoa(seq%5),
			AcsUserID:      "acs-user-" + strconv.Itoa(seq),
			UserIdentityID: "identity-" + strconv.Itoa(seq),
			LinkAcsUserID:  "link-" + strconv.Itoa(seq),
			Email:          fmt.Sprintf("person%d@example.com", seq),
			FullName:       "Person Ñumber " + strconv.Itoa(seq),
			File:           "people.csv",
			Line:           seq + 1,
			Via:            "acs_user_id",
			Reason:         "line " + strconv.Itoa(seq+1) + ": not a member",
		},
		Status:       statuses[seq%len(statuses)],
		Attempts:     seq % 4,
		HTTPStatus:   200 + seq%3,
		ErrorType:    "rate_limited",
		ErrorMessage: "line one\nline \"two\", with a comma",
		RequestID:    "req_" + strconv.Itoa(seq),
		DurationMS:   int64(seq * 7),
		FinishedAt:   time.Date(2026, 11, 22, 19, 30, seq%60, seq*1000, time.UTC),
	}
}

func openTestJournal(t *testing.T, path string) *Journal {
	t.Helper()
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func TestJournalConcurrentAppendsGiveOneWellFormedLineEach(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", JournalName)
	j := openTestJournal(t, path)
	const workers, each = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := j.Append(sampleRecord(w*each + i + 1)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Fatal("journal does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != workers*each {
		t.Fatalf("journal has %d lines, want %d", len(lines), workers*each)
	}
	seen := make(map[int]bool)
	for i, line := range lines {
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d is not a record: %v", i+1, err)
		}
		if diff := cmp.Diff(sampleRecord(r.Seq), r); diff != "" {
			t.Fatalf("line %d differs (-want +got):\n%s", i+1, diff)
		}
		seen[r.Seq] = true
	}
	if len(seen) != workers*each {
		t.Fatalf("%d distinct records, want %d", len(seen), workers*each)
	}

	got, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != workers*each {
		t.Fatalf("ReadJournal: %d records, want %d", len(got), workers*each)
	}
	assertMode(t, path, 0o600)
	assertMode(t, filepath.Dir(path), 0o700|os.ModeDir)
}

func TestJournalRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), JournalName)
	j := openTestJournal(t, path)
	var want []Record
	for seq := 1; seq <= 9; seq++ {
		r := sampleRecord(seq)
		want = append(want, r)
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	// A minimal record: omitted fields read back as zero values.
	minimal := Record{Seq: 10, Operation: plan.Operation{Action: plan.ActionRemove, SystemID: "s", GroupID: "g", GroupName: "Lobby"}, Status: NotAttempted}
	want = append(want, minimal)
	if err := j.Append(minimal); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("ReadJournal (-want +got):\n%s", diff)
	}
}

func TestJournalReopenAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), JournalName)
	j := openTestJournal(t, path)
	if err := j.Append(sampleRecord(1)); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j2 := openTestJournal(t, path)
	if err := j2.Append(sampleRecord(2)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Record{sampleRecord(1), sampleRecord(2)}, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func jsonLines(t *testing.T, records ...Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, r := range records {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func TestReadJournalIgnoresTornFinalLine(t *testing.T) {
	whole := jsonLines(t, sampleRecord(1), sampleRecord(2))
	third := jsonLines(t, sampleRecord(3))
	for name, tail := range map[string][]byte{
		"half a line":                     third[:len(third)/2],
		"a whole record but no newline":   bytes.TrimSuffix(third, []byte("\n")),
		"one byte":                        []byte("{"),
		"nothing (ends with its newline)": nil,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), JournalName)
			if err := os.WriteFile(path, append(slicesClone(whole), tail...), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := ReadJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]Record{sampleRecord(1), sampleRecord(2)}, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}

			// Reopening cuts the torn line, so the next append starts on
			// a line of its own.
			j := openTestJournal(t, path)
			if err := j.Append(sampleRecord(4)); err != nil {
				t.Fatal(err)
			}
			got, err = ReadJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]Record{sampleRecord(1), sampleRecord(2), sampleRecord(4)}, got); diff != "" {
				t.Fatalf("after reopen (-want +got):\n%s", diff)
			}
		})
	}
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

func TestOpenJournalCutsTornLineLongerThanAChunk(t *testing.T) {
	path := filepath.Join(t.TempDir(), JournalName)
	torn := `{"seq":3,"error_message":"` + strings.Repeat("x", 10000)
	data := append(jsonLines(t, sampleRecord(1)), torn...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	j := openTestJournal(t, path)
	if err := j.Append(sampleRecord(2)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Record{sampleRecord(1), sampleRecord(2)}, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestReadJournalCorruptLineIsAnErrorWithItsNumber(t *testing.T) {
	good := jsonLines(t, sampleRecord(1))
	last := jsonLines(t, sampleRecord(3))
	for name, bad := range map[string]string{
		"not JSON":         "{\"seq\":2,\"act\n",
		"empty line":       "\n",
		"trailing garbage": `{"seq":2,"status":"failed"} x` + "\n",
		"unknown status":   `{"seq":2,"status":"done"}` + "\n",
		"no status":        `{"seq":2}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), JournalName)
			data := append(append(slicesClone(good), bad...), last...)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ReadJournal(path)
			if err == nil || !strings.Contains(err.Error(), "line 2:") {
				t.Fatalf("ReadJournal error = %v, want one naming line 2", err)
			}
		})
	}
}

func TestReadJournalMissingFile(t *testing.T) {
	_, err := ReadJournal(filepath.Join(t.TempDir(), JournalName))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error = %v, want one matching os.ErrNotExist", err)
	}
}

func TestJournalRefusesInvalidStatusAndAppendAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), JournalName)
	j := openTestJournal(t, path)
	if err := j.Append(Record{Seq: 1}); err == nil {
		t.Fatal("Append of a record without a status succeeded")
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := j.Append(sampleRecord(1)); err == nil {
		t.Fatal("Append after Close succeeded")
	}
	got, err := ReadJournal(path)
	if err != nil || len(got) != 0 {
		t.Fatalf("ReadJournal = %v, %v; want no records", got, err)
	}
}

const killHelperEnv = "ACS_BULK_TEST_JOURNAL_KILL"

// TestJournalKillHelper is not a test: run as a subprocess by
// TestJournalSurvivesSIGKILL, it appends records and kills itself.
func TestJournalKillHelper(t *testing.T) {
	spec := os.Getenv(killHelperEnv)
	if spec == "" {
		return
	}
	path, count, _ := strings.Cut(spec, "|")
	k, err := strconv.Atoi(count)
	if err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	for seq := 1; seq <= k; seq++ {
		if err := j.Append(sampleRecord(seq)); err != nil {
			t.Fatal(err)
		}
	}
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // not reached
}

func TestJournalSurvivesSIGKILL(t *testing.T) {
	const k = 57
	path := filepath.Join(t.TempDir(), JournalName)
	cmd := exec.Command(os.Args[0], "-test.run=^TestJournalKillHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d", killHelperEnv, path, k))
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("helper: %v, want death by SIGKILL; output:\n%s", err, out)
	}
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper ended with %v, want SIGKILL; output:\n%s", err, out)
	}
	got, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]Record, k)
	for i := range want {
		want[i] = sampleRecord(i + 1)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("records after SIGKILL (-want +got):\n%s", diff)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

func TestJournalWriteFailureIsSticky(t *testing.T) {
	path := filepath.Join(t.TempDir(), JournalName)
	j := openTestJournal(t, path)
	if err := j.Append(sampleRecord(1)); err != nil {
		t.Fatal(err)
	}
	j.f.Close() // the next write fails
	if err := j.Append(sampleRecord(2)); err == nil {
		t.Fatal("Append on a failed file succeeded")
	}
	err := j.Append(sampleRecord(3))
	if err == nil || !strings.Contains(err.Error(), "an earlier write failed") {
		t.Fatalf("Append after a failure = %v, want it refused", err)
	}
	got, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Record{sampleRecord(1)}, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// BenchmarkJournalAppendParallel measures synced appends from concurrent
// workers, which share fsyncs.
func BenchmarkJournalAppendParallel(b *testing.B) {
	j, err := OpenJournal(filepath.Join(b.TempDir(), JournalName))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	r := sampleRecord(1)
	b.SetParallelism(4) // 4 x GOMAXPROCS workers
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := j.Append(r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkJournalAppendSerial measures synced appends from one worker: one
// fsync each.
func BenchmarkJournalAppendSerial(b *testing.B) {
	j, err := OpenJournal(filepath.Join(b.TempDir(), JournalName))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	r := sampleRecord(1)
	for b.Loop() {
		if err := j.Append(r); err != nil {
			b.Fatal(err)
		}
	}
}
