package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/atomicfile"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
)

// sandboxOptions are the flags of acs-bulk sandbox.
type sandboxOptions struct {
	io     *IO
	global *globalOptions

	StateFile        string
	Listen           string
	Save             string
	PropagationDelay time.Duration
	Seed             uint64
	Faults           sandbox.Faults
	Fail             []string
	Defer            []string
	AcsReject        []string
}

func newSandboxCmd(io *IO, g *globalOptions) *cobra.Command {
	o := &sandboxOptions{io: io, global: g}
	cmd := &cobra.Command{
		Use:   "sandbox --state FILE [--listen ADDR] [--save FILE] [fault flags]",
		Short: "Serve an in-memory Seam API to rehearse against",
		Long: `Serve an in-memory Seam API, loaded from a state file, to rehearse a migration
or a nightly run without touching a real workspace. It implements the Seam
routes acs-bulk uses (systems, access groups, ACS users, user identities), with
Seam's JSON shapes, errors, pagination and authentication, and is as strict as
Seam's route framework: GET and DELETE read the query, POST and PUT a JSON body
(400 invalid_content_type without Content-Type: application/json), unknown or
mistyped parameters get 400 invalid_input with validation_errors, and the key
is checked before the method. A state file may hold objects pasted from Seam's
responses; a field in no Seam schema is refused, with "did you mean".

It prints the SEAM_ENDPOINT and SEAM_API_KEY to export in another shell, then
serves until interrupted (Ctrl-C or SIGTERM), and writes the state to --save on
exit when given. A state without api_keys gets a key generated and printed.

Fault flags rehearse a bad day: --latency/--jitter, --rate-limit (429 with
Retry-After), --error-rate (500/503), --drop-rate (connections closed without
an answer), --fail (scripted failures for one user, group or email).

Membership changes answer at once and reach the access system later:
--propagation-delay D shows each change for D in the pending_mutations of the
user (updating_group_membership) and of the group (updating_user_membership).
With it, --defer KIND=VALUE (KIND user or group) shows a user's or a group's
changes as scheduled instead (deferring_group_membership_update with the group
and variant adding/removing on the user, deferring_user_membership_update on the
group), and --acs-reject KIND=VALUE makes the access system refuse them when D
has passed: the membership goes back to what it was and the user carries a
failed_to_update_on_acs_system error with a message and its created_at.

` + exitcode.Help("sandbox"),
		Example: `  acs-bulk sandbox --state samples/harbor-site.json
  acs-bulk sandbox --state samples/harbor-site.json --listen 127.0.0.1:9000 --save after.json
  acs-bulk sandbox --state samples/harbor-site.json --rate-limit 20 --error-rate 0.1 \
      --fail user=ACS_USER_ID:400:invalid_input
  acs-bulk sandbox --state samples/harbor-site.json --propagation-delay 30s \
      --defer group=ACCESS_GROUP_ID --acs-reject user=ACS_USER_ID`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return sandboxRun(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.StateFile, "state", "", "state file to serve (JSON, Seam's field names) (required)")
	f.StringVar(&o.Listen, "listen", "127.0.0.1:8787", "address to listen on (port 0 picks a free port)")
	f.StringVar(&o.Save, "save", "", "write the state to this file on exit")
	f.DurationVar(&o.PropagationDelay, "propagation-delay", 0, "how long a membership change takes to reach the access system, shown meanwhile in the pending_mutations of the user and the group")
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the random faults and ids, to reproduce a run")
	f.DurationVar(&o.Faults.Latency, "latency", 0, "delay every response by this much")
	f.DurationVar(&o.Faults.Jitter, "jitter", 0, "add a random delay up to this much")
	f.Float64Var(&o.Faults.RateLimit, "rate-limit", 0, "accept this many requests per second, answer 429 with Retry-After above it (0: no limit)")
	f.IntVar(&o.Faults.RateBurst, "rate-burst", 0, "requests that may arrive at once under --rate-limit (0: the rate)")
	f.Float64Var(&o.Faults.ErrorRate, "error-rate", 0, "fraction of requests answered 500 or 503 (0 to 1)")
	f.Float64Var(&o.Faults.DropRate, "drop-rate", 0, "fraction of connections closed without an answer (0 to 1)")
	f.BoolVar(&o.Faults.FailAfterCommit, "fail-after-commit", false, "inject errors and drops after a membership change is applied (a lost answer)")
	f.StringArrayVar(&o.Fail, "fail", nil, "scripted failure KIND=VALUE:STATUS[:TYPE[:TIMES]], KIND user, group or email (repeatable)")
	f.StringArrayVar(&o.Defer, "defer", nil, "show the membership changes of KIND=VALUE (KIND user or group) as deferred until --propagation-delay has passed (repeatable)")
	f.StringArrayVar(&o.AcsReject, "acs-reject", nil, "make the access system refuse the membership changes of KIND=VALUE (KIND user or group) when --propagation-delay has passed (repeatable)")
	_ = cmd.MarkFlagRequired("state")
	return cmd
}

func sandboxRun(ctx context.Context, o *sandboxOptions) error {
	opts, err := o.options()
	if err != nil {
		return err
	}
	st, err := sandbox.LoadState(o.StateFile)
	if err != nil {
		return exitcode.With(exitcode.Usage, err)
	}
	log, err := o.global.logger(o.io.Err)
	if err != nil {
		return err
	}
	srv := sandbox.New(st, opts)
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	endpoint := "http://" + ln.Addr().String()
	fmt.Fprintf(o.io.Out, "export SEAM_ENDPOINT=%s\nexport SEAM_API_KEY=%s\n", endpoint, srv.APIKeys()[0])
	log.Info("sandbox serving", "state", o.StateFile, "endpoint", endpoint, "save", o.Save)

	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("sandbox: %w", err)
	case <-ctx.Done():
	}
	log.Info("sandbox stopping")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sandbox: shut down: %w", err)
	}
	if o.Save != "" {
		data, err := srv.State().Marshal()
		if err == nil {
			err = atomicfile.Output(o.Save, data, 0o600, o.io.Out)
		}
		if err != nil {
			return fmt.Errorf("sandbox: save state: %w", err)
		}
		log.Info("sandbox state saved", "file", o.Save)
	}
	return nil
}

// options are the sandbox's options from the flags: the fault flags parsed,
// and checked together (a usage error naming the flag).
func (o *sandboxOptions) options() (sandbox.Options, error) {
	for _, s := range o.Fail {
		sf, err := sandbox.ParseScriptedFailure(s)
		if err != nil {
			return sandbox.Options{}, exitcode.With(exitcode.Usage, fmt.Errorf("--fail: %w", err))
		}
		o.Faults.Scripted = append(o.Faults.Scripted, sf)
	}
	for _, l := range []struct {
		flag string
		in   []string
		out  *[]sandbox.Target
	}{{"--defer", o.Defer, &o.Faults.Defer}, {"--acs-reject", o.AcsReject, &o.Faults.AcsReject}} {
		for _, s := range l.in {
			t, err := sandbox.ParseTarget(s)
			if err != nil {
				return sandbox.Options{}, exitcode.With(exitcode.Usage, fmt.Errorf("%s: %w", l.flag, err))
			}
			*l.out = append(*l.out, t)
		}
		if len(l.in) > 0 && o.PropagationDelay <= 0 {
			return sandbox.Options{}, exitcode.With(exitcode.Usage, fmt.Errorf("%s needs --propagation-delay above zero: it acts on a change still on its way to the access system, e.g. --propagation-delay 30s", l.flag))
		}
	}
	opts := sandbox.Options{Faults: o.Faults, PropagationDelay: o.PropagationDelay, Seed: o.Seed}
	if err := opts.Validate(); err != nil {
		return sandbox.Options{}, exitcode.With(exitcode.Usage, err)
	}
	return opts, nil
}
