package main

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/spf13/pflag"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/lock"
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

// adaptivePacing is false only in BenchmarkPacingToldLimit, which measures
// what a client told the server's limit gets, against which the adaptive
// pacer's matrix is read.
var adaptivePacing = true

// client builds the Seam client from the environment (SEAM_API_KEY, ...) and
// the flags; a bad environment or flag is a usage error.
func (a *apiFlags) client(io *IO, g *globalOptions, adaptive bool) (*seam.Client, error) {
	log, err := g.logger(io.Err)
	if err != nil {
		return nil, err
	}
	c, err := seam.New(seam.Options{
		Rate:           a.Rate,
		Burst:          a.Burst,
		Adaptive:       adaptive && adaptivePacing && a.Rate > 0,
		MaxAttempts:    a.MaxAttempts,
		AttemptTimeout: a.AttemptTimeout,
		Logger:         log,
		UserAgent:      "acs-bulk/" + buildVersion(),
		Getenv:         io.Getenv,
	})
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, err)
	}
	return c, nil
}

// workspaceIdentity identifies the workspace the credentials act on, for its
// lock, without the key: the workspace id of a personal access token, or a
// hash of the API key (a key belongs to one workspace). The endpoint is not
// part of it: one workspace is one lock however it is reached.
func workspaceIdentity(getenv func(string) string) string {
	if ws := getenv("SEAM_WORKSPACE_ID"); ws != "" && getenv("SEAM_PERSONAL_ACCESS_TOKEN") != "" {
		return "workspace:" + ws
	}
	sum := sha256.Sum256([]byte(getenv("SEAM_API_KEY")))
	return "key:" + hex.EncodeToString(sum[:8])
}

// lockDir is the directory of the workspace locks: $ACS_BULK_LOCK_DIR, or
// the user's cache directory when unset.
func lockDir(io *IO) string { return io.Getenv(lock.LockDirEnv) }
