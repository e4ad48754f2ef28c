// Package sandboxtest serves a sandbox to a test: on loopback, with a Seam
// client pointed at it whose every request and response is checked against
// Seam's OpenAPI document.
package sandboxtest

import (
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/contract"
	"github.com/acs-bulk/acs-bulk/internal/sandbox"
	"github.com/acs-bulk/acs-bulk/internal/seam"
)

// Serve starts the sandbox over st with opts for the test and returns it
// with a contract-checked client; a request or response off the contract
// fails the test. Unchecked, the client talks to it directly (benchmarks
// measure the client and the server, not the checker).
func Serve(t testing.TB, st *sandbox.State, opts sandbox.Options, checked bool) (*sandbox.Server, *seam.Client) {
	t.Helper()
	srv := sandbox.New(st, opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	hc := hs.Client()
	if checked {
		spec, err := contract.Load()
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		hc.Transport = spec.Transport(hc.Transport, func(err error) {
			mu.Lock()
			defer mu.Unlock()
			t.Errorf("contract: %v", err)
		})
	}
	c, err := seam.New(seam.Options{APIKey: srv.APIKeys()[0], Endpoint: hs.URL, HTTPClient: hc, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}
