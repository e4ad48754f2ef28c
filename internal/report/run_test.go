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
		Operation: plan.Operation{File: "people.csv", Line: 9, GroupName: "Flor 2", Email: "new.hire@example.com"}, Status: Unresolved, ErrorType: ErrorTypeUnresolved,
		ErrorMessage: "column access_group: unknown group 'Flor 2' in Harbor Tower; did you mean 'Floor 2'?",
	},
	{
		Seq: 3, Operation: plan.Operation{Action: plan.ActionAdd, SystemID: "sys1", SystemName: "Harbor Tower", GroupID: "grp2", GroupName: "@x", UserIdentityID: "uid3", Email: "+1555", FullName: "\tTabby", File: "people.csv", Line: 4, Via: "user_identity_id"}, Status: NotAttempted, ErrorType: "interrupted", ErrorMessage: "the run was interrupted",
	},
	{
		Seq: 1, Operation: plan.Operation{Action: plan.ActionAdd, SystemID: "sys1", SystemName: "Harbor Tower", GroupID: "grp1", GroupName: "=SUM(A1)", AcsUserID: "u1", Email: "ann@example.com", FullName: "-x", File: "people.csv", Line: 2, Via: "acs_user_id", Reason: "line 2: not a member"}, Status: Succeeded, Verified: VerifyConfirmed, Attempts: 1, HTTPStatus: 200, RequestID: "req_1", DurationMS: 120, FinishedAt: finished,
	},
	{
		Seq: 4, Operation: plan.Operation{Action: plan.ActionRemove, SystemID: "sys1", GroupID: "grp1", GroupName: "Lobby", AcsUserID: "u4", FullName: "Bo", Via: "acs_user_id"}, Status: Skipped, ErrorMessage: "already absent",
	},
	{
		Seq: 2, Operation: plan.Operation{Action: plan.ActionRemove, SystemID: "sys1", SystemName: "Harbor Tower", GroupID: "grp1", GroupName: "Lobby", AcsUserID: "u2", Email: "bob@example.com", FullName: "Bob \"B\" Jones, Jr.", Via: "acs_user_id", Reason: "member, not in the CSV (sync)"}, Status: Failed, Attempts: 5, HTTPStatus: 429, ErrorType: "rate_limited", ErrorMessage: "slow down\nplease", RequestID: "req_2", DurationMS: 3000, FinishedAt: finished, QueuedMS: 40,
	},
}

const wantReportCSV = `seq,action,status,verified,acs_system_id,system_name,acs_access_group_id,group_name,acs_user_id,user_identity_id,email,full_name,file,line,via,attempts,http_status,error_type,error_message,request_id,duration_ms,finished_at,reason,queued_ms
1,add,succeeded,confirmed,sys1,Harbor Tower,grp1,'=SUM(A1),u1,,ann@example.com,'-x,people.csv,2,acs_user_id,1,200,,,req_1,120,2026-11-22T19:31:05.25Z,line 2: not a member,0
2,remove,failed,,sys1,Harbor Tower,grp1,Lobby,u2,,bob@example.com,"Bob ""B"" Jones, Jr.",,,acs_user_id,5,429,rate_limited,"slow down
please",req_2,3000,2026-11-22T19:31:05.25Z,"member, not in the CSV (sync)",40
3,add,not_attempted,,sys1,Harbor Tower,grp2,'@x,,uid3,'+1555,'	Tabby,people.csv,4,user_identity_id,0,,interrupted,the run was interrupted,,0,,,0
4,remove,skipped,,sys1,,grp1,Lobby,u4,,,Bo,,,acs_user_id,0,,,already absent,,0,,,0
,,unresolved,,,,,Flor 2,,,new.hire@example.com,,people.csv,9,,0,,unresolved,column access_group: unknown group 'Flor 2' in Harbor Tower; did you mean 'Floor 2'?,,0,,,0
`

const wantFailuresCSV = `seq,action,status,verified,acs_system_id,system_name,acs_access_group_id,group_name,acs_user_id,user_identity_id,email,full_name,file,line,via,attempts,http_status,error_type,error_message,request_id,duration_ms,finished_at,reason,queued_ms
2,remove,failed,,sys1,Harbor Tower,grp1,Lobby,u2,,bob@example.com,"Bob ""B"" Jones, Jr.",,,acs_user_id,5,429,rate_limited,"slow down
please",req_2,3000,2026-11-22T19:31:05.25Z,"member, not in the CSV (sync)",40
3,add,not_attempted,,sys1,Harbor Tower,grp2,'@x,,uid3,'+1555,'	Tabby,people.csv,4,user_identity_id,0,,interrupted,the run was interrupted,,0,,,0
,,unresolved,,,,,Flor 2,,,new.hire@example.com,,people.csv,9,,0,,unresolved,column access_group: unknown group 'Flor 2' in Harbor Tower; did you mean 'Floor 2'?,,0,,,0
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
	if err := Write(Dir(dir), testRun()); err != nil {
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
		if err := Write(Dir(dir), testRun()); err != nil {
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
	if err := Write(Dir(dir), in); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&before, in); diff != "" {
		t.Errorf("Write modified its argument (-before +after):\n%s", diff)
	}
	got, err := Load(Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	want := testRun()
	want.Version = FormatVersion
	want.Command = []string{"acs-bulk", "apply", "--file", "people.csv", "--api-key", "REDACTED", "--token=REDACTED"}
	want.Counts = map[Status]int{Succeeded: 1, Failed: 1, Skipped: 1, NotAttempted: 1, Unresolved: 1}
	want.Verified = map[string]int{VerifyConfirmed: 1, VerifyPending: 0, VerifyDeferred: 0, VerifyFailedOnAcs: 0, VerifyNotReflected: 0}
	slices.SortFunc(want.Records, compareRecords)
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
	if err := Write(Dir(dir), &Run{RunID: "00000000"}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, ReportJSONName))), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"succeeded": 0.0, "failed": 0.0, "skipped": 0.0, "not_attempted": 0.0, "unresolved": 0.0}
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
			if err := Write(Dir(dir), &Run{Records: records}); err == nil {
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
	_, err := Load(Dir(dir))
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
			if _, err := Load(Dir(dir)); err == nil {
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
	if err := Write(Dir(dir), run); err != nil {
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
	want := map[Status]int{Succeeded: 1, Failed: 2, Skipped: 0, NotAttempted: 0, Unresolved: 0}
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

// TestLoadReadsTheFirstFormat: a report.json written by the first version
// (format 1: no unresolved status, no reason) still loads, for rerun,
// revert and verify.
func TestLoadReadsTheFirstFormat(t *testing.T) {
	dir := t.TempDir()
	v1 := `{"version":1,"run_id":"1a2b3c4d","command":["acs-bulk","apply"],"endpoint":"https://connect.getseam.com",
"started_at":"2026-11-22T19:30:00Z","finished_at":"2026-11-22T19:31:05Z","counts":{"succeeded":1,"failed":0,"skipped":0,"not_attempted":0},
"stopped":"","lowest_rate":10,"throttled":0,
"records":[{"seq":1,"action":"add","acs_system_id":"sys1","system_name":"Harbor Tower","acs_access_group_id":"grp1","group_name":"Lobby",
"acs_user_id":"u1","email":"ann@example.com","file":"people.csv","line":2,"via":"acs_user_id","status":"succeeded","attempts":1,
"http_status":200,"request_id":"req_1","duration_ms":120,"finished_at":"2026-11-22T19:31:05Z"}]}`
	if err := os.WriteFile(filepath.Join(dir, ReportJSONName), []byte(v1), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load(Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Seq: 1, Operation: plan.Operation{Action: plan.ActionAdd, SystemID: "sys1", SystemName: "Harbor Tower", GroupID: "grp1", GroupName: "Lobby",
		AcsUserID: "u1", Email: "ann@example.com", File: "people.csv", Line: 2, Via: "acs_user_id"},
		Status: Succeeded, Attempts: 1, HTTPStatus: 200, RequestID: "req_1", DurationMS: 120, FinishedAt: time.Date(2026, 11, 22, 19, 31, 5, 0, time.UTC)}
	if got.Version != 1 || len(got.Records) != 1 {
		t.Fatalf("loaded %+v", got)
	}
	if diff := cmp.Diff(want, got.Records[0]); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
}

func TestWriteRefusesAnOperationWithoutNumber(t *testing.T) {
	err := Write(Dir(t.TempDir()), &Run{Records: []Record{{Status: Succeeded}}})
	if err == nil || !strings.Contains(err.Error(), "only an unresolved row has no operation number") {
		t.Errorf("Write = %v", err)
	}
}
