package seam

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMemberIDs(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
		err        string
	}{
		{"members among other fields", `{"ok":true,"acs_users":[{"acs_user_id":"u1","email_address":"a@x.com","pending_mutations":[{"mutation_code":"x"}]},{"display_name":"B","acs_user_id":"u2"}],"pagination":{"has_next_page":false}}`, []string{"u1", "u2"}, ""},
		{"no members", `{"acs_users":[],"ok":true}`, nil, ""},
		{"null members", `{"acs_users":null,"ok":true}`, nil, ""},
		{"no acs_users", `{"ok":true}`, nil, "no acs_users in the answer"},
		{"not an array", `{"acs_users":{"acs_user_id":"u1"}}`, nil, "acs_users is not an array"},
		{"a member without id", `{"acs_users":[{"email_address":"a@x.com"}]}`, nil, "a member without acs_user_id"},
		{"cut short", `{"acs_users":[{"acs_user_id":"u1"},{"acs_user_id":"u`, nil, "unexpected EOF"},
		{"not JSON", `<html>`, nil, "invalid character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := memberIDs(strings.NewReader(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestListGroupMemberIDsRetriesABodyCutShort: an answer cut off in the
// middle of the stream is a transport failure, retried; the ids decoded
// from the cut attempt are not kept.
func TestListGroupMemberIDsRetriesABodyCutShort(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		body := `{"acs_users":[{"acs_user_id":"u1","email_address":"a@x.com"},{"acs_user_id":"u2"}],"ok":true}`
		if calls.Add(1) == 1 {
			// Promise the whole body, send half, and hang up.
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, body[:50])
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(o *Options) { o.HTTPClient = srv.Client() })
	ids, err := c.ListGroupMemberIDs(context.Background(), "g1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"u1", "u2"}, ids); diff != "" || calls.Load() != 2 {
		t.Errorf("ids (-want +got):\n%s\ncalls %d, want 2", diff, calls.Load())
	}
}

// TestListGroupMemberIDsRefusesAnAnswerItCannotRead: a 200 that is not the
// expected JSON is an error, not retried.
func TestListGroupMemberIDsRefusesAnAnswerItCannotRead(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.WriteString(w, `{"acs_users":{"acs_user_id":"u1"},"ok":true}`)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(o *Options) { o.HTTPClient = srv.Client() })
	_, err := c.ListGroupMemberIDs(context.Background(), "g1")
	if err == nil || !strings.Contains(err.Error(), "decode response: acs_users is not an array") || calls.Load() != 1 {
		t.Errorf("error %v after %d calls", err, calls.Load())
	}
}
