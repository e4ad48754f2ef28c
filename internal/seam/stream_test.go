package seam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
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
		{"not JSON", `<html>`, nil, "invalid JSON"},
		{"escapes in keys and values", `{"acs_users":[{"acs\u005fuser_id":"u\"1\\","note":"a \"quoted\" }] value"}],"ok":true}`, []string{`u"1\`}, ""},
		{"nested values skipped", `{"acs_users":[{"x":{"y":[1,-2.5e3,true,false,null,{"acs_user_id":"no"}]},"acs_user_id":"u1"}]}`, []string{"u1"}, ""},
		{"trailing data", `{"acs_users":[]} {}`, nil, "data after the value"},
		{"a control character in a string", "{\"acs_users\":[{\"acs_user_id\":\"u\x01\"}]}", nil, "control character"},
		{"numbers skipped", `{"acs_users":[{"n":[0,-0,12,-3.25,1e9,2E-3,0.5e+2],"acs_user_id":"u1"}]}`, []string{"u1"}, ""},
		{"a number with two signs", `{"acs_users":[],"x":1-2}`, nil, "a bad number"},
		{"a lone minus", `{"acs_users":[],"x":-}`, nil, "a number without digits"},
		{"a leading zero", `{"acs_users":[],"x":01}`, nil, "a bad number"},
		{"a bare point", `{"acs_users":[],"x":1.}`, nil, "a number without digits"},
		{"a bare exponent", `{"acs_users":[],"x":1e}`, nil, "a number without digits"},
		{"a missing comma", `{"acs_users":[{"acs_user_id":"u1"} {"acs_user_id":"u2"}]}`, nil, "want ',' or ']'"},
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

// FuzzMemberIDs: the scanner refuses whatever encoding/json finds invalid,
// never panics, and on a valid answer finds the ids encoding/json finds.
func FuzzMemberIDs(f *testing.F) {
	for _, seed := range []string{
		`{"acs_users":[{"acs_user_id":"u1","email_address":"a@x.com"},{"acs_user_id":"u2"}],"ok":true}`,
		`{"ok":true,"acs_users":[]}`, `{"acs_users":null}`, `{"acs_users":[{"acs_user_id":"\u00e9"}]}`,
		`{"acs_users":[{"x":[1,2,{"y":"}"}],"acs_user_id":"u"}]}`, `[]`, `{"acs_users":[{"acs_user_id":1}]}`, `{"acs_users":[],"x":-0.5e+10}`, `{"acs_users":[],"x":1-2}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := memberIDs(bytes.NewReader(b))
		if !json.Valid(b) {
			if err == nil {
				t.Fatalf("accepted invalid JSON %q", b)
			}
			return
		}
		var want struct {
			Users *[]map[string]json.RawMessage `json:"acs_users"`
		}
		if json.Unmarshal(b, &want) != nil || want.Users == nil || bytes.Contains(bytes.ToLower(b), []byte(`"acs_users"`)) && !bytes.Contains(b, []byte(`"acs_users"`)) {
			return // not an object with exactly that key: no claim
		}
		if err != nil {
			return // a member that is no object, or without a string id
		}
		var wantIDs []string
		for _, u := range *want.Users {
			var id string
			if json.Unmarshal(u["acs_user_id"], &id) != nil {
				t.Fatalf("scanner found ids %q where encoding/json finds a member without a string id: %q", ids, b)
			}
			wantIDs = append(wantIDs, id)
		}
		if !slices.Equal(ids, wantIDs) {
			t.Fatalf("ids %q, encoding/json finds %q, in %q", ids, wantIDs, b)
		}
	})
}

// BenchmarkMemberIDs decodes a 20,000-member list_users answer with the
// scanner, beside encoding/json decoding the same ids.
func BenchmarkMemberIDs(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"acs_users":[`)
	for i := range 20000 {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"acs_user_id":"%08d-1b2c-4d3e-8f40-5a6b7c8d9e0f","acs_system_id":"sys","workspace_id":"ws","display_name":"User %d","full_name":"User %d","email_address":"user%d@example.com","phone_number":"+15550%05d","is_managed":true,"is_suspended":false,"created_at":"2025-01-06T09:00:00.000Z","user_identity_id":null,"errors":[],"warnings":[],"pending_mutations":[],"connected_account_id":"ca"}`, i, i, i, i, i)
	}
	buf.WriteString(`],"ok":true}`)
	body := buf.Bytes()
	b.Run("scanner", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if ids, err := memberIDs(bytes.NewReader(body)); err != nil || len(ids) != 20000 {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var v struct {
				Users []struct {
					ID string `json:"acs_user_id"`
				} `json:"acs_users"`
			}
			if err := json.NewDecoder(bytes.NewReader(body)).Decode(&v); err != nil || len(v.Users) != 20000 {
				b.Fatal(err)
			}
		}
	})
}
