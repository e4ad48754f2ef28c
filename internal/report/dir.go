package report

import "path/filepath"

// The files of a run directory.
const (
	PlanName        = "plan.json"
	RefusedPlanName = "refused-plan.json"
	JournalName     = "journal.jsonl"
	ReportJSONName  = "report.json"
	ReportCSVName   = "report.csv"
	FailuresCSVName = "failures.csv"
	LockName        = ".acs-bulk.lock"
)

// Dir is a run directory: the one owner of the names of the files a run
// leaves there.
type Dir string

// Path returns the directory itself.
func (d Dir) Path() string { return string(d) }

// Plan is plan.json: every operation of the run in record order, written
// before the first request.
func (d Dir) Plan() string { return d.file(PlanName) }

// RefusedPlan is refused-plan.json: the plan a guard refused, named so that
// nothing takes it for a plan to execute.
func (d Dir) RefusedPlan() string { return d.file(RefusedPlanName) }

// Journal is journal.jsonl: one record per finished operation.
func (d Dir) Journal() string { return d.file(JournalName) }

// ReportJSON is report.json: its presence means the run finished.
func (d Dir) ReportJSON() string { return d.file(ReportJSONName) }

// ReportCSV is report.csv: every record.
func (d Dir) ReportCSV() string { return d.file(ReportCSVName) }

// Failures is failures.csv: the records a rerun would retry.
func (d Dir) Failures() string { return d.file(FailuresCSVName) }

// Lock is the lock file that keeps two runs out of one directory.
func (d Dir) Lock() string { return d.file(LockName) }

// RunFiles are the files whose presence means a run used the directory.
func (d Dir) RunFiles() []string {
	return []string{d.ReportJSON(), d.Journal(), d.Plan(), d.RefusedPlan()}
}

func (d Dir) file(name string) string { return filepath.Join(string(d), name) }
