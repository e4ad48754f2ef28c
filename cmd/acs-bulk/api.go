package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// apiFlags are the flags of every command that talks to Seam: how fast and
// how persistently. Pacing and retries themselves live in the client.
type apiFlags struct {
	Rate           float64
	Burst          int
	MaxAttempts    int
	AttemptTimeout time.Duration
	Concurrency    int
}

func (a *apiFlags) register(f *pflag.FlagSet) {
	f.Float64Var(&a.Rate, "rate", 10, "most requests per second to Seam, retries included (0: unlimited); apply, rerun and revert start at 10/s at most and find Seam's limit below this")
	f.IntVar(&a.Burst, "burst", 1, "requests that may go at once above --rate (1: evenly spaced; after a 429, one at a time whatever this says)")
	f.IntVar(&a.MaxAttempts, "max-attempts", seam.DefaultMaxAttempts, "attempts per request before giving up (429, 5xx, timeouts and connection errors are retried)")
	f.DurationVar(&a.AttemptTimeout, "request-timeout", seam.DefaultAttemptTimeout, "time limit of each attempt")
	f.IntVar(&a.Concurrency, "concurrency", 8, "requests in flight at once")
}

// client builds the Seam client from the environment (SEAM_API_KEY, ...) and
// the flags.
func (a *apiFlags) client(io *IO, g *globalOptions, adaptive bool) (*seam.Client, error) {
	log, err := g.logger(io.Err)
	if err != nil {
		return nil, err
	}
	return seam.New(seam.Options{
		Rate:           a.Rate,
		Burst:          a.Burst,
		Adaptive:       adaptive && a.Rate > 0,
		MaxAttempts:    a.MaxAttempts,
		AttemptTimeout: a.AttemptTimeout,
		Logger:         log,
		UserAgent:      "acs-bulk/" + buildVersion(),
		Getenv:         io.Getenv,
	})
}
