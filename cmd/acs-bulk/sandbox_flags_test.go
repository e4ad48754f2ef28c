package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSandboxAsyncFlags: --defer and --acs-reject parse KIND=VALUE and need
// --propagation-delay, and say so.
func TestSandboxAsyncFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		code    int
		wantErr string // the stderr line, "" when it serves
	}{
		{"defer without a delay", []string{"--defer", "user=u1"}, 2,
			"acs-bulk: error: --defer needs --propagation-delay above zero: it acts on a change still on its way to the access system, e.g. --propagation-delay 30s"},
		{"acs-reject without a delay", []string{"--acs-reject", "group=g1"}, 2,
			"acs-bulk: error: --acs-reject needs --propagation-delay above zero: it acts on a change still on its way to the access system, e.g. --propagation-delay 30s"},
		{"a bad kind", []string{"--propagation-delay", "1s", "--acs-reject", "email=a@b.example"}, 2,
			`acs-bulk: error: --acs-reject: target "email=a@b.example": kind "email" is not user or group`},
		{"no value", []string{"--propagation-delay", "1s", "--defer", "group="}, 2,
			`acs-bulk: error: --defer: target "group=": empty group`},
		{"both, with a delay", []string{"--propagation-delay", "30s", "--defer", "group=g1", "--acs-reject", "user=u1", "--acs-reject", "user=u2"}, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a server that starts stops at once
			var out, errb bytes.Buffer
			io := &IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }}
			args := append([]string{"sandbox", "--state", "../../samples/harbor-site.json", "--listen", "127.0.0.1:0"}, c.args...)
			if code := run(ctx, args, io); code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, out.String(), errb.String())
			}
			if c.wantErr == "" {
				if !strings.HasPrefix(out.String(), "export SEAM_ENDPOINT=http://127.0.0.1:") {
					t.Errorf("stdout %q, want the exports", out.String())
				}
				return
			}
			if got := strings.SplitN(errb.String(), "\n", 2)[0]; got != c.wantErr {
				t.Errorf("stderr %q, want %q", got, c.wantErr)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q, want nothing: the server must not start", out.String())
			}
		})
	}
}
