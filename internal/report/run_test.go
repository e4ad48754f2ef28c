package report

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acs-bulk/acs-bulk/internal/plan"
)

var finished = time.Date(2026, 11, 22, 19, 31, 5, 250_000_000, time.UTC)

// csvRecords exercise the formula escaping, CSV quoting and every status;
// they are deliberately out of Seq order.
var csvRecords = []Record{
	{
		Seq: 3, Action: "add", SystemID: "sys1", SystemName: "Harbor Tower", GroupID: "grp2", GroupName: "@x",
		UserIdentityID: "uid3", Email: "+1555", FullName: "\tTabby", File: "people.csv", Line: 4, Via: "user_identity_id",
		Status: NotAttempted, ErrorType: "interrupted", ErrorMessage: "the run was interrupted",
	},
	{
		Seq: 1, Action: "add", SystemID: "sys1", SystemName: "Harbor Tower", GroupID: "grp1", GroupName: "=SUM(A1)",
		AcsUserID: "u1", Email: "ann@example.com", FullName: "-x", File: "people.csv", Line: 2, Via: "acs_user_id",
		Status: Succeeded, Verified: VerifyConfirmed, Attempts: 1, HTTPStatus: 200, RequestID: "req_1", DurationMS: 120, FinishedAt: finished,
	},
	{
		Seq: 4, Action: "remove", SystemID: "sys1", GroupID: "grp1", GroupName: "Lobby",
		AcsUserID: "u4", FullName: "Bo", Via: "acs_user_id", Status: Skipped, ErrorMessage: "already absent",
	},
	{
		Seq: 2, Action: "remove", SystemID: "sys1", SystemName: "Harbor Tower", GroupID: "grp1", GroupName: "Lobby",
		AcsUserID: "u2", Email: "bob@example.com", FullName: "Bob \"B\" Jones, Jr.", Via: "acs_user_id",
		Status: Failed, Attempts: 5, HTTPStatus: 429, ErrorType: "rate_limited", ErrorMessage: "slow down\nplease",
		RequestID: "req_2", DurationMS: 3000, FinishedAt: finished, QueuedMS: 40,
	},
}

const wantReportCSV = `seq,action,status,verified,acs_system_id,system_name,acs_access_group_id,group_name,acs_user_id,user_identity_id,email,full_name,file,line,via,attempts,http_status,error_type,error_message,request_id,duration_ms,finished_at,queued_ms
1,add,succeeded,confirmed,sys1,Harbor Tower,grp1,'=SUM(A1),u1,,ann@example.com,'-x,people.csv,2,acs_user_id,1,200,,,req_1,120,2026-11-22T19:31:05.25Z,0
2,remove,failed,,sys1,Harbor Tower,grp1,Lobby,u2,,bob@example.com,"Bob ""B"" Jones, Jr.",,,acs_user_id,5,429,rate_limited,"slow down
please",req_2,3000,2026-11-22T19:31:05.25Z,40
3,add,not_attempted,,sys1,Harbor Tower,grp2,'@x,,uid3,'+1555,'	Tabby,people.csv,4,user_identity_id,0,,interrupted,the run was interrupted,,0,,0
4,remove,skipped,,sys1,,grp1,Lobby,u4,,,Bo,,,acs_user_id,0,,,already absent,,0,,0
`

const wantFailuresCSV = `seq,action,status,verified,acs_system_id,system_name,acs_access_group_id,group_name,acs_user_id,user_identity_id,email,full_name,file,line,via,attempts,http_status,error_type,error_message,request_id,duration_ms,finished_at,queued_ms
2,remove,failed,,sys1,Harbor Tower,grp1,Lobby,u2,,bob@example.com,"Bob ""B"" Jones, Jr.",,,acs_user_id,5,429,rate_limited,"slow down
please",req_2,3000,2026-11-22T19:31:05.25Z,40
3,add,not_attempted,,sys1,Harbor Tower,grp2,'@x,,uid3,'+1555,'	Tabby,people.csv,4,user_identity_id,0,,interrupted,the run was interrupted,,0,,0
`

func testRun() *Run {
	return &Run{
		RunID:      "1a2b3c4d",
		Command:    []string{"acs-bulk", "apply", "--file", "people.csv", "--api-key", "seam_live_SECRET1", "--token=SECRET2"},
		Endpoint:   "https://connect.getseam.com",
		StartedAt:  time.Date(2026, 11, 22, 19, 30, 0, 0, time.UTC),
		FinishedAt: finished,
		Options:    json.RawMessage(`{"mode":"sync","scope":"groups","concurrency":4}`),
		Plan:       &plan.Summary{Add: 2, Remove: 2, Unchanged: 7, InScope: 9},
		Stopped:    "interrupted",
		LowestRate: 7.5,
		Throttled:  3,
		Records:    slices.Clone(csvRecords),
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteCSVContentIsExact(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if err := Write(dir, testRun()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantReportCSV, readFile(t, filepath.Join(dir, ReportCSVName))); diff != "" {
		t.Errorf("report.csv (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantFailuresCSV, readFile(t, filepath.Join(dir, FailuresCSVName))); diff != "" {
		t.Errorf("failures.csv (-want +got):\n%s", diff)
	}
}

func TestWriteFilesModesAndNoTemporaries(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "runs", "run")
	for range 2 { // the second Write replaces the files
		if err := Write(dir, testRun()); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{FailuresCSVName, ReportCSVName, ReportJSONName}, names); diff != "" {
		t.Errorf("directory entries (-want +got):\n%s", diff)
	}
	assertMode(t, dir, 0o700|os.ModeDir)
	for _, n := range names {
		assertMode(t, filepath.Join(dir, n), 0o600)
	}
}

func TestWriteLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := testRun()
	before := *in
	before.Records = slices.Clone(in.Records)
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&before, in); diff != "" {
		t.Errorf("Write modified its argument (-before +after):\n%s", diff)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := testRun()
	want.Version = FormatVersion
	want.Command = []string{"acs-bulk", "apply", "--file", "people.csv", "--api-key", "REDACTED", "--token=REDACTED"}
	want.Counts = map[Status]int{Succeeded: 1, Failed: 1, Skipped: 1, NotAttempted: 1}
	slices.SortFunc(want.Records, func(a, b Record) int { return a.Seq - b.Seq })
	// Options are compared as JSON values: Write indents report.json.
	sameJSON := cmp.Comparer(func(a, b json.RawMessage) bool {
		var va, vb any
		return json.Unmarshal(a, &va) == nil && json.Unmarshal(b, &vb) == nil && cmp.Equal(va, vb)
	})
	if diff := cmp.Diff(want, got, sameJSON); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
}

func TestWriteEmptyRunListsEveryStatus(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, &Run{RunID: "00000000"}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, ReportJSONName))), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"succeeded": 0.0, "failed": 0.0, "skipped": 0.0, "not_attempted": 0.0}
	if diff := cmp.Diff(want, doc["counts"]); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{}, doc["records"]); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if got := readFile(t, filepath.Join(dir, FailuresCSVName)); got != strings.Join(CSVHeader(), ",")+"\n" {
		t.Errorf("failures.csv = %q, want the header alone", got)
	}
}

func TestWriteRefusesBrokenRecords(t *testing.T) {
	for name, records := range map[string][]Record{
		"two records for one operation": {{Seq: 1, Status: Succeeded}, {Seq: 2, Status: Failed}, {Seq: 1, Status: Failed}},
		"a record without a status":     {{Seq: 1}},
		"an unknown status":             {{Seq: 1, Status: "done"}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Write(dir, &Run{Records: records}); err == nil {
				t.Fatal("Write succeeded")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("Write left %d files behind", len(entries))
			}
		})
	}
}

func TestLoadMissingReportSaysTheRunDidNotFinish(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	want := "no report.json in " + dir + ": the run did not finish; rerun reads its journal"
	if err == nil || err.Error() != want {
		t.Fatalf("Load error = %v, want %q", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error does not match fs.ErrNotExist")
	}
}

func TestLoadRefusesNewerFormatAndBadJSON(t *testing.T) {
	for name, content := range map[string]string{
		"newer version":  `{"version": 99, "records": []}`,
		"not JSON":       `{"version": 1,`,
		"unknown status": `{"version": 1, "records": [{"seq": 1, "status": "done"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, ReportJSONName), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(dir); err == nil {
				t.Fatal("Load succeeded")
			}
		})
	}
}

func TestReportNeverContainsACommandLineSecret(t *testing.T) {
	secrets := []string{"seam_live_SECRET1", "SECRET2", "hunter2", "s3cr3t"}
	run := testRun()
	run.Command = append(run.Command, "--db-password", "hunter2", "--client-secret=s3cr3t")
	dir := t.TempDir()
	if err := Write(dir, run); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("%d files, want 3", len(entries))
	}
	for _, e := range entries {
		content := readFile(t, filepath.Join(dir, e.Name()))
		for _, s := range secrets {
			if strings.Contains(content, s) {
				t.Errorf("%s contains the secret %q", e.Name(), s)
			}
		}
	}
	if !strings.Contains(readFile(t, filepath.Join(dir, ReportJSONName)), `"--api-key",`) {
		t.Error("report.json lost the (redacted) command line")
	}
}

func TestRedactArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"nothing secret", []string{"acs-bulk", "apply", "--file", "f.csv", "--max-removals=10%"}, []string{"acs-bulk", "apply", "--file", "f.csv", "--max-removals=10%"}},
		{"api key, separate value", []string{"apply", "--api-key", "seam_x"}, []string{"apply", "--api-key", "REDACTED"}},
		{"api key, joined value", []string{"apply", "--api-key=seam_x"}, []string{"apply", "--api-key=REDACTED"}},
		{"joined empty value", []string{"--token="}, []string{"--token=REDACTED"}},
		{"token", []string{"--token", "t", "--file", "f"}, []string{"--token", "REDACTED", "--file", "f"}},
		{"name containing key, any case", []string{"--Seam-API-KEY", "k"}, []string{"--Seam-API-KEY", "REDACTED"}},
		{"name containing token", []string{"--access-token=t"}, []string{"--access-token=REDACTED"}},
		{"secret", []string{"--client-secret", "s"}, []string{"--client-secret", "REDACTED"}},
		{"password", []string{"--db-password=p", "x"}, []string{"--db-password=REDACTED", "x"}},
		{"single dash", []string{"-api-key", "k"}, []string{"-api-key", "REDACTED"}},
		{"value that starts with a dash", []string{"--api-key", "-abc"}, []string{"--api-key", "REDACTED"}},
		{"next flag is kept", []string{"--token", "--file", "f"}, []string{"--token", "--file", "f"}},
		{"flag last, no value", []string{"apply", "--token"}, []string{"apply", "--token"}},
		{"value equal to the flag name form", []string{"--key", "--key=x"}, []string{"--key", "--key=REDACTED"}},
		{"after the terminator too", []string{"--", "--api-key", "k"}, []string{"--", "--api-key", "REDACTED"}},
		{"positional words are not flags", []string{"apply", "token", "key"}, []string{"apply", "token", "key"}},
		{"equals sign inside the value", []string{"--api-key=a=b"}, []string{"--api-key=REDACTED"}},
		{"empty", []string{}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.in)
			got := RedactArgs(in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.in, in); diff != "" {
				t.Errorf("input modified (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEscapeCell(t *testing.T) {
	for in, want := range map[string]string{
		"":          "",
		"=SUM(A1)":  "'=SUM(A1)",
		"+1555":     "'+1555",
		"-x":        "'-x",
		"@x":        "'@x",
		"\tx":       "'\tx",
		"\rx":       "'\rx",
		"Ann":       "Ann",
		"a=b":       "a=b",
		" =x":       " =x",
		"'quoted":   "'quoted",
		"2026-11-2": "2026-11-2",
	} {
		if got := escapeCell(in); got != want {
			t.Errorf("escapeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCountListsEveryStatus(t *testing.T) {
	got := Count([]Record{{Status: Failed}, {Status: Failed}, {Status: Succeeded}})
	want := map[Status]int{Succeeded: 1, Failed: 2, Skipped: 0, NotAttempted: 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRunIDAndDirName(t *testing.T) {
	hex8 := regexp.MustCompile(`^[0-9a-f]{8}$`)
	a, b := NewRunID(), NewRunID()
	if !hex8.MatchString(a) || !hex8.MatchString(b) || a == b {
		t.Errorf("NewRunID gave %q and %q, want two distinct 8-hex-digit ids", a, b)
	}
	paris := time.FixedZone("CET", 3600)
	if got, want := RunDirName(time.Date(2026, 11, 22, 20, 30, 0, 999, paris), "1a2b3c4d"), "20261122T193000Z-1a2b3c4d"; got != want {
		t.Errorf("RunDirName = %q, want %q", got, want)
	}
}
