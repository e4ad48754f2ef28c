package metrics

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var start = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)

func TestWriteAndCarryOverTheLastSuccess(t *testing.T) {
	p := filepath.Join(t.TempDir(), "acs_bulk.prom")
	ok := Run{Command: "apply", Started: start, Finished: start.Add(1500 * time.Millisecond), ExitCode: 0,
		Operations: map[[2]string]int{{"add", "succeeded"}: 12, {"remove", "succeeded"}: 3, {"remove", "failed"}: 1},
		Throttled:  4, LowestRate: 7.5,
		Plan: map[string]int{"add": 12, "remove": 4, "unchanged": 140, "unresolved": 0, "held": 0}}
	if err := Write(p, ok); err != nil {
		t.Fatal(err)
	}
	want := `# HELP acs_bulk_last_run_timestamp_seconds When the last run ended, in seconds since the epoch.
# TYPE acs_bulk_last_run_timestamp_seconds gauge
acs_bulk_last_run_timestamp_seconds{command="apply"} 1796090401.5
# HELP acs_bulk_last_run_exit_code The exit status of the last run (0 success, 3 partial, 4 refused by a guard, ...).
# TYPE acs_bulk_last_run_exit_code gauge
acs_bulk_last_run_exit_code{command="apply"} 0
# HELP acs_bulk_last_success_timestamp_seconds When a run last exited 0, in seconds since the epoch.
# TYPE acs_bulk_last_success_timestamp_seconds gauge
acs_bulk_last_success_timestamp_seconds{command="apply"} 1796090401.5
# HELP acs_bulk_last_run_duration_seconds How long the last run took.
# TYPE acs_bulk_last_run_duration_seconds gauge
acs_bulk_last_run_duration_seconds{command="apply"} 1.5
# HELP acs_bulk_operations_total Operations of the last run, by action and status.
# TYPE acs_bulk_operations_total counter
acs_bulk_operations_total{command="apply",action="add",status="succeeded"} 12
acs_bulk_operations_total{command="apply",action="remove",status="failed"} 1
acs_bulk_operations_total{command="apply",action="remove",status="succeeded"} 3
# HELP acs_bulk_throttled_requests_total Requests of the last run that Seam answered 429.
# TYPE acs_bulk_throttled_requests_total counter
acs_bulk_throttled_requests_total{command="apply"} 4
# HELP acs_bulk_lowest_rate_requests_per_second The lowest request rate the pacer came down to in the last run (0: unlimited).
# TYPE acs_bulk_lowest_rate_requests_per_second gauge
acs_bulk_lowest_rate_requests_per_second{command="apply"} 7.5
# HELP acs_bulk_plan_memberships Memberships in the last run's plan, by kind.
# TYPE acs_bulk_plan_memberships gauge
acs_bulk_plan_memberships{command="apply",kind="add"} 12
acs_bulk_plan_memberships{command="apply",kind="held"} 0
acs_bulk_plan_memberships{command="apply",kind="remove"} 4
acs_bulk_plan_memberships{command="apply",kind="unchanged"} 140
acs_bulk_plan_memberships{command="apply",kind="unresolved"} 0
# HELP acs_bulk_unresolved_rows Rows of the CSV that did not resolve in the last run.
# TYPE acs_bulk_unresolved_rows gauge
acs_bulk_unresolved_rows{command="apply"} 0
`
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}

	// A failed run the next night keeps the last success it did not have.
	bad := Run{Command: "apply", Started: start.Add(24 * time.Hour), Finished: start.Add(24*time.Hour + time.Second), ExitCode: 4}
	if err := Write(p, bad); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(p)
	if previous(got, "apply") != 1796090401.5 {
		t.Errorf("the last success was not carried over:\n%s", got)
	}
	if v := previous([]byte(string(got)), "rerun"); v != 0 {
		t.Errorf("another command's last success: %v", v)
	}
	// A first run that fails has no last success at all.
	q := filepath.Join(t.TempDir(), "first.prom")
	if err := Write(q, bad); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(q); previous(b, "apply") != 0 {
		t.Errorf("a first failed run claims a success:\n%s", b)
	}
}
