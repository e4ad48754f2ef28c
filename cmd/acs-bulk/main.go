// Command acs-bulk keeps the access-group memberships of Seam-connected access
// control systems equal to a CSV: validate the file, plan the adds and
// removes, apply them with pacing and retries, and report every operation.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], systemIO())
	stop()
	os.Exit(code)
}
