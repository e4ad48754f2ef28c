package main

import (
	"math"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"
)

// The ranges the execution flags accept.
const (
	maxConcurrency = 256
	maxBurst       = 1000
	maxAttempts    = 20
)

// check refuses an API flag out of its range, before any request or file:
// a usage error naming the flag and what it accepts.
func (a *apiFlags) check() error {
	switch {
	case math.IsNaN(a.Rate) || math.IsInf(a.Rate, 0) || a.Rate < 0:
		return exitcode.Usagef("--rate %v: want a number of requests per second, 0 or more (0: unlimited)", a.Rate)
	case a.Burst < 1 || a.Burst > maxBurst:
		return exitcode.Usagef("--burst %d: want a whole number from 1 to %d", a.Burst, maxBurst)
	case a.MaxAttempts < 1 || a.MaxAttempts > maxAttempts:
		return exitcode.Usagef("--max-attempts %d: want a whole number from 1 to %d", a.MaxAttempts, maxAttempts)
	case a.AttemptTimeout <= 0:
		return exitcode.Usagef("--request-timeout %s: want a duration above 0, such as 30s", a.AttemptTimeout)
	case a.Concurrency < 1 || a.Concurrency > maxConcurrency:
		return exitcode.Usagef("--concurrency %d: want a whole number from 1 to %d", a.Concurrency, maxConcurrency)
	}
	return nil
}

// check refuses a run flag out of its range, before any request or file.
func (r *runFlags) check() error {
	switch {
	case r.MaxErrors < 0:
		return exitcode.Usagef("--max-errors %d: want a whole number, 0 or more (0: no limit)", r.MaxErrors)
	case r.VerifyTimeout <= 0:
		return exitcode.Usagef("--verify-timeout %s: want a duration above 0, such as 2m", r.VerifyTimeout)
	case r.DrainTimeout < 0:
		return exitcode.Usagef("--drain-timeout %s: want a duration, 0 or more (0: cancel requests in flight at once)", r.DrainTimeout)
	}
	return nil
}

// drain is the executor's drain timeout for --drain-timeout: 0 cancels the
// requests in flight at once.
func (r *runFlags) drain() time.Duration {
	if r.DrainTimeout == 0 {
		return -1
	}
	return r.DrainTimeout
}
