package main

import (
	"io"
	"log/slog"

	"github.com/acs-bulk/acs-bulk/internal/report"
)

// progressReporter stands in until internal/progress lands.
type progressReporter struct{}

func (progressReporter) Done(report.Record) {}
func (progressReporter) Finish()            {}

func newProgress(w io.Writer, tty bool, total int, log *slog.Logger) progressReporter {
	return progressReporter{}
}
