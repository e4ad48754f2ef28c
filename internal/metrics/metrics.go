// Package metrics writes a run's figures in the Prometheus text exposition
// format, for node_exporter's textfile collector: a cron job's monitoring
// reads when acs-bulk last ran, how it ended, when it last succeeded and
// what it did, without parsing logs.
package metrics

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/atomicfile"
)

// Run is what one run of apply, rerun or revert did.
type Run struct {
	// Command is "apply", "rerun" or "revert" (the label of every series).
	Command  string
	Started  time.Time
	Finished time.Time
	ExitCode int
	// Operations counts the run's records by action and status
	// ({"add","succeeded"}: 12); unresolved rows have action "".
	Operations map[[2]string]int
	// Throttled counts the 429 answers; LowestRate is the lowest request
	// rate the pacer came down to (0: unlimited or unknown).
	Throttled  int64
	LowestRate float64
	// Plan counts the plan's memberships by kind (add, remove, unchanged,
	// unresolved, held); nil when no plan was made.
	Plan map[string]int
}

// LastSuccess is the series carried over from the previous file when a run
// fails.
const LastSuccess = "acs_bulk_last_success_timestamp_seconds"

// Write writes r to path atomically (through atomicfile.Output, so a link
// is followed and a device written in place). The time of the last
// successful run is r's end when it exited 0, else the one the file held
// before, if any.
func Write(path string, r Run) error {
	last := 0.0
	if r.ExitCode == 0 {
		last = seconds(r.Finished)
	} else if prev, err := os.ReadFile(path); err == nil {
		last = previous(prev, r.Command)
	}
	var b bytes.Buffer
	r.encode(&b, last)
	return atomicfile.Output(path, b.Bytes(), 0o644, io.Discard)
}

func (r Run) encode(w *bytes.Buffer, lastSuccess float64) {
	cmd := `command="` + escape(r.Command) + `"`
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s{%s} %s\n", name, help, name, name, cmd, num(v))
	}
	gauge("acs_bulk_last_run_timestamp_seconds", "When the last run ended, in seconds since the epoch.", seconds(r.Finished))
	gauge("acs_bulk_last_run_exit_code", "The exit status of the last run (0 success, 3 partial, 4 refused by a guard, ...).", float64(r.ExitCode))
	if lastSuccess > 0 {
		gauge(LastSuccess, "When a run last exited 0, in seconds since the epoch.", lastSuccess)
	}
	gauge("acs_bulk_last_run_duration_seconds", "How long the last run took.", r.Finished.Sub(r.Started).Seconds())

	fmt.Fprintf(w, "# HELP acs_bulk_operations_total Operations of the last run, by action and status.\n# TYPE acs_bulk_operations_total counter\n")
	keys := make([][2]string, 0, len(r.Operations))
	for k := range r.Operations {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"\x00"+keys[i][1] < keys[j][0]+"\x00"+keys[j][1] })
	for _, k := range keys {
		fmt.Fprintf(w, "acs_bulk_operations_total{%s,action=\"%s\",status=\"%s\"} %d\n", cmd, escape(k[0]), escape(k[1]), r.Operations[k])
	}
	fmt.Fprintf(w, "# HELP acs_bulk_throttled_requests_total Requests of the last run that Seam answered 429.\n# TYPE acs_bulk_throttled_requests_total counter\nacs_bulk_throttled_requests_total{%s} %d\n", cmd, r.Throttled)
	gauge("acs_bulk_lowest_rate_requests_per_second", "The lowest request rate the pacer came down to in the last run (0: unlimited).", r.LowestRate)
	if r.Plan != nil {
		fmt.Fprintf(w, "# HELP acs_bulk_plan_memberships Memberships in the last run's plan, by kind.\n# TYPE acs_bulk_plan_memberships gauge\n")
		kinds := make([]string, 0, len(r.Plan))
		for k := range r.Plan {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(w, "acs_bulk_plan_memberships{%s,kind=\"%s\"} %d\n", cmd, escape(k), r.Plan[k])
		}
		gauge("acs_bulk_unresolved_rows", "Rows of the CSV that did not resolve in the last run.", float64(r.Plan["unresolved"]))
	}
}

// previous returns the last-success time the file held for command, or 0.
func previous(data []byte, command string) float64 {
	want := LastSuccess + `{command="` + escape(command) + `"} `
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), want); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil && f > 0 && !math.IsInf(f, 0) {
				return f
			}
		}
	}
	return 0
}

func seconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// escape escapes a label value as the text format asks.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
