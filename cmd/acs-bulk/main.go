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
	// The first signal stops scheduling and lets requests in flight finish;
	// a second one ends the process at once (the journal is synced as each
	// operation finishes, so nothing acknowledged is lost).
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], systemIO())
	stop()
	os.Exit(code)
}
