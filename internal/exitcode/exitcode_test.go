package exitcode

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

func TestHelpListsRequestedCodes(t *testing.T) {
	h := Help(OK, Guard)
	if !strings.Contains(h, "  0    success") || !strings.Contains(h, "  4    a safety guard") {
		t.Errorf("help misses a requested code:\n%s", h)
	}
	if strings.Contains(h, "130") {
		t.Errorf("help lists a code not requested:\n%s", h)
	}
}
