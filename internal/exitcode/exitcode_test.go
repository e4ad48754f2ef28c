package exitcode

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

type guardErr struct{}

func (guardErr) Error() string { return "guard" }
func (guardErr) ExitCode() int { return Guard }

func TestFor(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"nil is ok", nil, OK},
		{"plain error is a failure", errors.New("boom"), Failure},
		{"usage error", Usagef("bad flag %q", "--x"), Usage},
		{"wrapped exit error keeps its code", fmt.Errorf("plan: %w", With(Partial, errors.New("2 failed"))), Partial},
		{"typed error with its own code", fmt.Errorf("apply: %w", guardErr{}), Guard},
		{"cancelled context is an interruption", fmt.Errorf("list users: %w", context.Canceled), Interrupted},
	}
	for _, c := range cases {
		if got := For(c.err); got != c.want {
			t.Errorf("%s: For(%v) = %d, want %d", c.name, c.err, got, c.want)
		}
	}
}

func TestHelpListsTheCommandsCodes(t *testing.T) {
	want := map[string]string{
		"validate": "Exit status:\n" +
			"  0    success\n" +
			"  1    runtime failure: network, authentication, server or file system\n" +
			"  2    invalid usage or input; nothing was changed\n",
		"plan": "Exit status:\n" +
			"  0    success; with --detailed-exitcode: no changes\n" +
			"  1    runtime failure: network, authentication, server or file system\n" +
			"  2    invalid usage or input; nothing was changed\n" +
			"  4    a safety guard refused the plan, or a saved plan is stale; nothing was changed\n" +
			"  5    changes present (plan --detailed-exitcode)\n" +
			"  130  interrupted by SIGINT or SIGTERM\n",
		"rerun": "Exit status:\n" +
			"  0    success\n" +
			"  1    runtime failure: network, authentication, server or file system, or another run holds the lock\n" +
			"  2    invalid usage or input, or the changes were not confirmed; nothing was changed\n" +
			"  3    partial failure: some operations failed, were not attempted or are not reflected; see failures.csv\n" +
			"  130  interrupted by SIGINT or SIGTERM; requests in flight finished and the reports were written\n",
		"version": "Exit status:\n" +
			"  0    success\n" +
			"  2    invalid usage or input; nothing was changed\n",
	}
	for cmd, w := range want {
		if got := Help(cmd); got != w {
			t.Errorf("Help(%q) =\n%s\nwant\n%s", cmd, got, w)
		}
	}
	if got := Codes("apply"); fmt.Sprint(got) != "[0 1 2 3 4 130]" {
		t.Errorf("Codes(apply) = %v", got)
	}
}

type hinted struct{}

func (hinted) Error() string { return "unknown group" }
func (hinted) Hint() string  { return "did you mean 'Lobby'?" }

func TestHintOf(t *testing.T) {
	if got := HintOf(fmt.Errorf("plan: %w", hinted{})); got != "did you mean 'Lobby'?" {
		t.Errorf("HintOf = %q", got)
	}
	if got := HintOf(errors.New("x")); got != "" {
		t.Errorf("HintOf plain = %q", got)
	}
}
