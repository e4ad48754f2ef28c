package seam

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/contract"
)

const testKey = "seam_testkey_S3CRET_do_not_print"

// noEnv is a Getenv that sees an empty environment.
func noEnv(string) string { return "" }

// envOf returns a Getenv reading from m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// contractTransport wraps base so that every request (and, when
// checkResponses, every response) is validated against the OpenAPI
// document; violations fail the test. Responses of the unmanaged-groups
// route are not checked: the fakes omit is_managed there on purpose, to test
// that the client marks such groups unmanaged.
func contractTransport(t *testing.T, base http.RoundTripper, checkResponses bool) http.RoundTripper {
	t.Helper()
	spec, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	return spec.Transport(base, func(err error) {
		if strings.HasPrefix(err.Error(), "response ") &&
			(!checkResponses || strings.Contains(err.Error(), " "+routeGroupsUnmanaged+":")) {
			return
		}
		t.Errorf("contract: %v", err)
	})
}

// testOptions are options for a client of srv: contract-checked transport,
// 1 ms backoffs, no environment.
func testOptions(t *testing.T, srv *httptest.Server, checkResponses bool) Options {
	return Options{
		APIKey:      testKey,
		Endpoint:    srv.URL,
		HTTPClient:  &http.Client{Transport: contractTransport(t, srv.Client().Transport, checkResponses)},
		BaseBackoff: time.Millisecond,
		MaxBackoff:  time.Millisecond,
		Getenv:      noEnv,
	}
}

// newTestClient builds a client of srv from testOptions, changed by mod.
func newTestClient(t *testing.T, srv *httptest.Server, mod func(*Options)) *Client {
	t.Helper()
	opts := testOptions(t, srv, true)
	if mod != nil {
		mod(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// reqCounter numbers the requests a test server receives.
type reqCounter struct{ n atomic.Int64 }

func (c *reqCounter) next() int { return int(c.n.Add(1)) }
func (c *reqCounter) get() int  { return int(c.n.Load()) }

// writeJSON answers with a JSON body and a seam-request-id header.
func writeJSON(w http.ResponseWriter, status int, requestID string, v any) {
	w.Header().Set("Content-Type", "application/json")
	if requestID != "" {
		w.Header().Set("seam-request-id", requestID)
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeSeamError answers with Seam's JSON error envelope.
func writeSeamError(w http.ResponseWriter, status int, requestID, typ, msg string) {
	writeJSON(w, status, requestID, map[string]any{
		"ok":    false,
		"error": map[string]any{"type": typ, "message": msg},
	})
}

// dropConnection closes the connection without answering.
func dropConnection(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("response writer cannot hijack")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	conn.Close()
}

const createdAt = "2026-01-02T03:04:05.000Z"

// Fixtures with every field the OpenAPI document requires.

func fullSystem(id, name string) map[string]any {
	return map[string]any{
		"acs_system_id": id, "name": name, "is_credential_manager": false,
		"location": map[string]any{"time_zone": nil}, "created_at": createdAt,
		"workspace_id": "ws1", "connected_account_ids": []string{"ca1"}, "connected_account_id": "ca1",
		"image_url": "https://example.com/x.png", "image_alt_text": "x", "errors": []any{}, "warnings": []any{},
	}
}

func fullGroup(id, systemID, name string) map[string]any {
	return map[string]any{
		"acs_access_group_id": id, "acs_system_id": systemID, "workspace_id": "ws1",
		"connected_account_id": "ca1", "name": name, "access_group_type": "brivo_group",
		"access_group_type_display_name": "Brivo group", "display_name": name,
		"external_type": "brivo_group", "external_type_display_name": "Brivo group",
		"created_at": createdAt, "errors": []any{}, "warnings": []any{}, "pending_mutations": []any{}, "is_managed": true,
	}
}

func fullUser(id, systemID, name string) map[string]any {
	return map[string]any{
		"acs_user_id": id, "acs_system_id": systemID, "workspace_id": "ws1",
		"created_at": createdAt, "display_name": name, "full_name": name,
		"warnings": []any{}, "errors": []any{}, "last_successful_sync_at": nil,
		"connected_account_id": "ca1", "is_managed": true,
	}
}

func fullIdentity(id, email string) map[string]any {
	return map[string]any{
		"user_identity_id": id, "user_identity_key": nil, "email_address": email,
		"phone_number": nil, "display_name": email, "full_name": nil, "created_at": createdAt,
		"workspace_id": "ws1", "errors": []any{}, "warnings": []any{}, "acs_user_ids": []string{},
	}
}

func paginationOf(next string) map[string]any {
	if next == "" {
		return map[string]any{"has_next_page": false, "next_page_cursor": nil, "next_page_url": nil}
	}
	return map[string]any{"has_next_page": true, "next_page_cursor": next,
		"next_page_url": "http://127.0.0.1/acs/users/list?page_cursor=" + next}
}

// recordHandler is a slog.Handler that passes every record to fn.
type recordHandler struct {
	fn func(slog.Record)
}

func (h recordHandler) Enabled(context.Context, slog.Level) bool      { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error { h.fn(r); return nil }
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler            { return h }
func (h recordHandler) WithGroup(string) slog.Handler                 { return h }

// syncBuffer is a strings.Builder safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// okHandler answers {"ok":true} and counts requests.
func okHandler(n *reqCounter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n.next()
		writeJSON(w, 200, "req_ok", map[string]any{"ok": true})
	}
}

// decodeBody decodes a JSON request body into v.
func decodeBody(t *testing.T, r *http.Request, v any) {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		t.Errorf("decode request body: %v", err)
	}
}
