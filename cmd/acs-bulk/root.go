package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/acs-bulk/acs-bulk/internal/batch"
	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/plan"
	"github.com/acs-bulk/acs-bulk/internal/redact"
)

// IO is what a command reads and writes: results and machine output go to
// Out, logs, progress and prompts to Err. Tests build their own.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// InTTY and ErrTTY say whether stdin and stderr are terminals: prompts
	// need the first, a progress bar the second.
	InTTY, ErrTTY bool
	// Getenv reads the environment (credentials, endpoint).
	Getenv func(string) string
}

// forceTTYEnv makes acs-bulk behave as on a terminal; tests and demos use it.
const forceTTYEnv = "ACS_BULK_FORCE_TTY"

func systemIO() *IO {
	force := os.Getenv(forceTTYEnv) == "1"
	return &IO{
		In:     os.Stdin,
		Out:    os.Stdout,
		Err:    os.Stderr,
		InTTY:  force || term.IsTerminal(int(os.Stdin.Fd())),
		ErrTTY: force || term.IsTerminal(int(os.Stderr.Fd())),
		Getenv: os.Getenv,
	}
}

// globalOptions are the flags every command has.
type globalOptions struct {
	LogFormat string
	Quiet     bool
	Verbose   bool
	// Args is the command line, for reports (redacted there).
	Args []string
}

// logger builds the run's logger on stderr: text on a terminal or by
// default, JSON for log shippers. Secrets never reach it (see redact).
func (g *globalOptions) logger(w io.Writer) (*slog.Logger, error) {
	level := slog.LevelInfo
	switch {
	case g.Quiet:
		level = slog.LevelWarn
	case g.Verbose:
		level = slog.LevelDebug
	}
	ho := &slog.HandlerOptions{Level: level, ReplaceAttr: redact.Attr}
	switch g.LogFormat {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, exitcode.Usagef("--log-format must be text or json, not %q", g.LogFormat)
}

func newRootCmd(ctx context.Context, io *IO, args []string) (*cobra.Command, *globalOptions) {
	g := &globalOptions{Args: append([]string{"acs-bulk"}, args...)}
	root := &cobra.Command{
		Use:   "acs-bulk",
		Short: "Keep Seam access-group memberships equal to a CSV",
		Long: `acs-bulk keeps the access-group memberships of Seam-connected access control
systems equal to a CSV of desired memberships. It reads the CSV and the live
state, computes an add/remove plan (a dry run you can read), executes it with
bounded concurrency and rate limiting, and writes reports of what succeeded
and failed, so that a rerun picks up exactly what is left.

Credentials are read the way Seam's SDKs read them: SEAM_API_KEY, or
SEAM_PERSONAL_ACCESS_TOKEN with SEAM_WORKSPACE_ID; SEAM_ENDPOINT overrides
https://connect.getseam.com (acs-bulk sandbox prints the values for a local
rehearsal server).

` + exitcode.Help(""),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetContext(ctx)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return exitcode.With(exitcode.Usage, err)
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.LogFormat, "log-format", "text", "log format on stderr: text or json")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "log only warnings and errors")
	pf.BoolVarP(&g.Verbose, "verbose", "v", false, "log debug detail (every API attempt)")
	root.MarkFlagsMutuallyExclusive("quiet", "verbose")

	root.AddCommand(
		newVersionCmd(io),
		newValidateCmd(io, g),
		newPlanCmd(io, g),
		newExportCmd(io, g),
		newApplyCmd(io, g),
		newRerunCmd(io, g),
		newRevertCmd(io, g),
		newVerifyCmd(io, g),
		newSandboxCmd(io, g),
		newDemoCmd(io, g),
	)
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Example = "  acs-bulk completion bash > /etc/bash_completion.d/acs-bulk\n  acs-bulk completion zsh > \"${fpath[1]}/_acs-bulk\"\n  acs-bulk completion fish > ~/.config/fish/completions/acs-bulk.fish"
			c.Long += "\n\n" + exitcode.Help("completion")
			for _, shell := range c.Commands() {
				shell.Long += "\n\n" + exitcode.Help("completion")
				shell.Example = "  acs-bulk completion " + shell.Name() + " > acs-bulk." + shell.Name()
			}
		}
	}
	return root, g
}

// say prints a message for the person or the log shipper reading stderr:
// "acs-bulk: warning: ..." lines, or JSON log lines with --log-format json,
// so that a JSON log stays JSON to its last line.
func (g *globalOptions) say(w io.Writer, level slog.Level, msg string, attrs ...any) {
	if g.LogFormat == "json" {
		slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: redact.Attr})).Log(context.Background(), level, msg, attrs...)
		return
	}
	name := strings.ToLower(level.String())
	if level == slog.LevelWarn {
		name = "warning"
	}
	fmt.Fprintf(w, "acs-bulk: %s: %s\n", name, msg)
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i] == "hint" {
			fmt.Fprintf(w, "acs-bulk: hint: %v\n", attrs[i+1])
		}
	}
}

// run executes the command line and returns the exit status.
func run(ctx context.Context, args []string, io *IO) int {
	root, g := newRootCmd(ctx, io, args)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitcode.OK
	}
	code := exitcode.For(err)
	if isCobraUsage(err) {
		code = exitcode.Usage
		g.say(io.Err, slog.LevelError, err.Error(), "exit_code", code, "hint", "run 'acs-bulk --help' for usage")
		return code
	}
	if code != exitcode.Changes {
		attrs := []any{"exit_code", code}
		if h := exitcode.HintOf(err); h != "" {
			attrs = append(attrs, "hint", h)
		}
		g.say(io.Err, slog.LevelError, errorText(err), attrs...)
	}
	return code
}

// errorText renders an error for the person reading stderr: a refused plan
// names the flag that overrides each guard; other errors say what they say.
func errorText(err error) string {
	var ge *plan.GuardError
	if !errors.As(err, &ge) {
		return err.Error()
	}
	var b strings.Builder
	for _, gd := range ge.Guards {
		b.WriteString(guardText(gd) + "\n")
	}
	var re *batch.RefusedError
	if errors.As(err, &re) {
		b.WriteString("the refused plan and why are in " + re.Dir.Path() + "\n")
	}
	b.WriteString("nothing was changed")
	return b.String()
}

// guardText renders one tripped guard with the flag that overrides it.
func guardText(g plan.Guard) string {
	switch g.Kind {
	case plan.GuardMaxRemovals:
		s := fmt.Sprintf("refusing to remove %d membership%s: more than --max-removals %s", g.Removals, plural(g.Removals), g.Limit)
		if strings.HasSuffix(g.Limit, "%") {
			s += fmt.Sprintf(" of %d in-scope membership%s (%d)", g.InScope, plural(g.InScope), g.Allowed)
		}
		return s + "; raise --max-removals to apply"
	case plan.GuardMaxAdds:
		s := fmt.Sprintf("refusing to add %d membership%s: more than --max-adds %s", g.Adds, plural(g.Adds), g.Limit)
		if strings.HasSuffix(g.Limit, "%") {
			s += fmt.Sprintf(" of %d in-scope membership%s (%d)", g.InScope, plural(g.InScope), g.Allowed)
		}
		return s + "; raise --max-adds to apply"
	case plan.GuardEmptyGroup, plan.GuardEmptyInput:
		return g.Message + ": pass --allow-empty-groups"
	}
	return g.Message
}

func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") || strings.HasPrefix(s, "unknown flag") ||
		strings.HasPrefix(s, "unknown shorthand flag") || strings.Contains(s, "flag needs an argument") ||
		strings.HasPrefix(s, "invalid argument") || strings.Contains(s, "accepts ") ||
		strings.Contains(s, "required flag")
}
