package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/acs-bulk/acs-bulk/internal/sandbox"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// scriptSandbox is the sandbox a script started with sandbox-start.
type scriptSandbox struct {
	srv *sandbox.Server
	url string
}

const sandboxKey = "sandbox"

func scriptSetup(env *testscript.Env) error {
	env.Values[sandboxKey] = &scriptSandbox{}
	abs, err := filepath.Abs("../../samples")
	if err != nil {
		return err
	}
	env.Setenv("SAMPLES", abs)
	site, err := filepath.Abs("testdata/site.json")
	if err != nil {
		return err
	}
	env.Setenv("SITE", site)
	// Workspace locks go under the script's directory, not $HOME.
	env.Setenv("ACS_BULK_LOCK_DIR", filepath.Join(env.WorkDir, ".locks"))
	return nil
}

func scriptServer(ts *testscript.TestScript) *sandbox.Server {
	sb := ts.Value(sandboxKey).(*scriptSandbox)
	if sb.srv == nil {
		ts.Fatalf("no sandbox: run sandbox-start first")
	}
	return sb.srv
}

// scriptClient is a client of the script's sandbox.
func scriptClient(ts *testscript.TestScript) *seam.Client {
	sb := ts.Value(sandboxKey).(*scriptSandbox)
	scriptServer(ts)
	c, err := seam.New(seam.Options{APIKey: sb.srv.APIKeys()[0], Endpoint: sb.url, Getenv: func(string) string { return "" }})
	ts.Check(err)
	return c
}

// scriptCmds are the commands the scripts have beside acs-bulk:
//
//	sandbox-start STATE [delay=DURATION] [defer=KIND=ID] [reject=KIND=ID] [FAIL...]
//	                               serve STATE (a sandbox state file) on a loopback
//	                               port for the rest of the script, with a
//	                               propagation delay, deferred or refused changes
//	                               and scripted failures, and set SEAM_ENDPOINT
//	                               and SEAM_API_KEY
//	sandbox-add GROUP USER         add a member behind acs-bulk's back
//	sandbox-remove GROUP USER      remove a member behind acs-bulk's back
//	sandbox-create-user SYSTEM EMAIL  create an ACS user behind acs-bulk's back
//	sandbox-members                print the memberships as "group user" lines,
//	                               by name and email, sorted
//	sandbox-changes                print "changes: N" and the membership changes
//	                               the server applied
//	sandbox-save FILE              save the sandbox's state
//	sandbox-lift                   lift every fault (a later rerun succeeds)
//	perm MODE FILE...              check the files' permission bits (e.g. 0600)
//	filetype KIND FILE             check what FILE is, not following a link:
//	                               file, symlink, fifo, dir or device
//	status N CMD ARGS...           run CMD and check that it exits with N
//	utf16 SRC DST                  write SRC as UTF-16LE with a byte order mark
//	bigfield FILE N                write a CSV whose one row has an N-byte group name
func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"sandbox-start": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) < 1 {
				ts.Fatalf("usage: sandbox-start STATE [FAIL...]")
			}
			st, err := sandbox.LoadState(ts.MkAbs(args[0]))
			ts.Check(err)
			var faults sandbox.Faults
			var delay time.Duration
			for _, s := range args[1:] {
				if d, ok := strings.CutPrefix(s, "delay="); ok {
					delay, err = time.ParseDuration(d)
					ts.Check(err)
					continue
				}
				if d, ok := strings.CutPrefix(s, "defer="); ok {
					tg, err := sandbox.ParseTarget(d)
					ts.Check(err)
					faults.Defer = append(faults.Defer, tg)
					continue
				}
				if d, ok := strings.CutPrefix(s, "reject="); ok {
					tg, err := sandbox.ParseTarget(d)
					ts.Check(err)
					faults.AcsReject = append(faults.AcsReject, tg)
					continue
				}
				f, err := sandbox.ParseScriptedFailure(s)
				ts.Check(err)
				faults.Scripted = append(faults.Scripted, f)
			}
			srv := sandbox.New(st, sandbox.Options{Faults: faults, Seed: 1, PropagationDelay: delay})
			hs := httptest.NewServer(srv)
			ts.Defer(hs.Close)
			sb := ts.Value(sandboxKey).(*scriptSandbox)
			sb.srv, sb.url = srv, hs.URL
			ts.Setenv("SEAM_ENDPOINT", hs.URL)
			ts.Setenv("SEAM_API_KEY", srv.APIKeys()[0])
		},
		"sandbox-members": func(ts *testscript.TestScript, neg bool, args []string) {
			srv := scriptServer(ts)
			st := srv.State()
			groups := map[string]string{}
			for _, g := range st.AcsAccessGroups {
				groups[g.AcsAccessGroupID] = g.Name
			}
			users := map[string]string{}
			for _, u := range st.AcsUsers {
				users[u.AcsUserID] = u.EmailAddress
				if u.EmailAddress == "" {
					users[u.AcsUserID] = u.AcsUserID
				}
			}
			var lines []string
			for _, m := range srv.Memberships() {
				lines = append(lines, groups[m.AcsAccessGroupID]+" "+users[m.AcsUserID])
			}
			sort.Strings(lines)
			fmt.Fprint(ts.Stdout(), strings.Join(lines, "\n")+"\n")
		},
		"sandbox-changes": func(ts *testscript.TestScript, neg bool, args []string) {
			log := scriptServer(ts).MembershipLog()
			fmt.Fprintf(ts.Stdout(), "changes: %d\n", len(log))
			for _, c := range log {
				fmt.Fprintf(ts.Stdout(), "%s %s %s changed=%t\n", c.Action, c.AccessGroupID, c.AcsUserID, c.Changed)
			}
		},
		"sandbox-save": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 1 {
				ts.Fatalf("usage: sandbox-save FILE")
			}
			ts.Check(scriptServer(ts).State().Save(ts.MkAbs(args[0])))
		},
		"sandbox-add": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: sandbox-add GROUP USER")
			}
			_, err := scriptClient(ts).AddUserToGroup(context.Background(), args[0], args[1])
			ts.Check(err)
		},
		"sandbox-remove": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: sandbox-remove GROUP USER")
			}
			_, err := scriptClient(ts).RemoveUserFromGroup(context.Background(), args[0], args[1])
			ts.Check(err)
		},
		"sandbox-create-user": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: sandbox-create-user SYSTEM EMAIL")
			}
			_, _, err := scriptClient(ts).CreateUser(context.Background(), seam.CreateUserParams{SystemID: args[0], FullName: args[1], EmailAddress: args[1]})
			ts.Check(err)
		},
		"sandbox-lift": func(ts *testscript.TestScript, neg bool, args []string) {
			ts.Check(scriptServer(ts).SetFaults(sandbox.Faults{}))
		},
		"perm": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) < 2 {
				ts.Fatalf("usage: perm MODE FILE...")
			}
			want, err := strconv.ParseUint(args[0], 8, 32)
			ts.Check(err)
			for _, f := range args[1:] {
				fi, err := os.Stat(ts.MkAbs(f))
				ts.Check(err)
				if got := uint64(fi.Mode().Perm()); got != want {
					ts.Fatalf("%s has mode %#o, want %#o", f, got, want)
				}
			}
		},
		"filetype": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: filetype KIND FILE")
			}
			fi, err := os.Lstat(ts.MkAbs(args[1]))
			ts.Check(err)
			kind := "file"
			switch m := fi.Mode(); {
			case m&os.ModeSymlink != 0:
				kind = "symlink"
			case m&os.ModeNamedPipe != 0:
				kind = "fifo"
			case m.IsDir():
				kind = "dir"
			case m&os.ModeDevice != 0:
				kind = "device"
			}
			if (kind == args[0]) == neg {
				ts.Fatalf("%s is a %s", args[1], kind)
			}
		},
		"utf16": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: utf16 SRC DST")
			}
			src := []rune(ts.ReadFile(args[0]))
			out := []byte{0xFF, 0xFE}
			for _, u := range utf16.Encode(src) {
				out = append(out, byte(u), byte(u>>8))
			}
			ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o600))
		},
		"bigfield": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: bigfield FILE N")
			}
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			data := "acs_system,access_group,email\nHarbor Tower," + strings.Repeat("A", n) + ",ann@harbor.example\n"
			ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(data), 0o600))
		},
		"status": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) < 2 {
				ts.Fatalf("usage: status N CMD ARGS...")
			}
			want, err := strconv.Atoi(args[0])
			ts.Check(err)
			err = ts.Exec(args[1], args[2:]...)
			got := 0
			if ee, ok := err.(*exec.ExitError); ok {
				got = ee.ExitCode()
			} else if err != nil {
				ts.Fatalf("%s: %v", args[1], err)
			}
			if got != want {
				ts.Fatalf("%s exited %d, want %d", args[1], got, want)
			}
		},
	}
}
