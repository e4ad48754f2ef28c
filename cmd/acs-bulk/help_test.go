package main

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"
)

// TestEveryCommandHasFullHelp: a one-line summary, a longer description,
// examples, and its exit codes, for every command and subcommand.
func TestEveryCommandHasFullHelp(t *testing.T) {
	root, _ := newRootCmd(context.Background(), &IO{Getenv: func(string) string { return "" }}, nil)
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			seen++
			name := sub.CommandPath()
			if sub.Short == "" || strings.Contains(sub.Short, "\n") {
				t.Errorf("%s: no one-line summary", name)
			}
			if len(sub.Long) < len(sub.Short)+20 {
				t.Errorf("%s: no longer description", name)
			}
			if sub.Runnable() && sub.Example == "" {
				t.Errorf("%s: no examples", name)
			}
			table := sub.Name()
			if sub.Parent() != nil && sub.Parent().Name() == "completion" {
				table = "completion"
			}
			if !strings.HasSuffix(strings.TrimSpace(sub.Long), strings.TrimSpace(exitcode.Help(table))) {
				t.Errorf("%s: help does not end with its exit codes from exitcode.Table:\n%s", name, sub.Long)
			}
			walk(sub)
		}
	}
	walk(root)
	if seen < 14 {
		t.Errorf("walked %d commands; expected the 10 commands and the completion shells", seen)
	}
}
