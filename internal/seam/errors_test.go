package seam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestAPIErrors(t *testing.T) {
	cases := []struct {
		name        string
		handler     http.HandlerFunc
		call        func(*Client) error
		maxAttempts int
		want        APIError
		wantString  string
	}{
		{
			name: "bare 404 from an unknown route",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("seam-request-id", "req_404")
				w.WriteHeader(404)
				fmt.Fprint(w, "404")
			},
			call:       func(c *Client) error { _, err := c.GetAccessGroup(context.Background(), "g1"); return err },
			want:       APIError{Method: "GET", Route: routeGroupsGet, Meta: Meta{Attempts: 1, RequestID: "req_404", Status: 404}, Body: "404"},
			wantString: `seam: GET /acs/access_groups/get: 404 not found: body "404" (request req_404, 1 attempt)`,
		},
		{
			name:        "empty 503",
			handler:     func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			call:        func(c *Client) error { _, err := c.ListSystems(context.Background()); return err },
			maxAttempts: 2,
			want:        APIError{Method: "GET", Route: routeSystemsList, Meta: Meta{Attempts: 2, Status: 503}, Retryable: true},
			wantString:  `seam: GET /acs/systems/list: 503 service unavailable: empty body (2 attempts)`,
		},
		{
			name: "html 502 from a proxy",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(502)
				fmt.Fprint(w, "<html><body>Bad gateway</body></html>\n")
			},
			call:        func(c *Client) error { _, err := c.ListSystems(context.Background()); return err },
			maxAttempts: 1,
			want:        APIError{Method: "GET", Route: routeSystemsList, Meta: Meta{Attempts: 1, Status: 502}, Body: "<html><body>Bad gateway</body></html>", Retryable: true},
			wantString:  `seam: GET /acs/systems/list: 502 bad gateway: body "<html><body>Bad gateway</body></html>" (1 attempt)`,
		},
		{
			name: "seam 429 after all attempts",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeSeamError(w, 429, "req_12", "rate_limited", "slow down")
			},
			call: func(c *Client) error { _, err := c.AddUserToGroup(context.Background(), "g1", "u1"); return err },
			want: APIError{Method: "PUT", Route: routeGroupsAddUser, Meta: Meta{Attempts: 5, RequestID: "req_12", Status: 429},
				Type: "rate_limited", Message: "slow down", Retryable: true},
			wantString: `seam: PUT /acs/access_groups/add_user: 429 rate_limited: slow down (request req_12, 5 attempts)`,
		},
		{
			name: "seam 400 with validation errors",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 400, "req_400", map[string]any{"ok": false, "error": map[string]any{
					"type": "invalid_input", "message": "acs_user_id is required",
					"validation_errors": map[string]any{"acs_user_id": []string{"Required"}},
				}})
			},
			call: func(c *Client) error { _, err := c.RemoveUserFromGroup(context.Background(), "g1", "u1"); return err },
			want: APIError{Method: "DELETE", Route: routeGroupsRemoveUser, Meta: Meta{Attempts: 1, RequestID: "req_400", Status: 400},
				Type: "invalid_input", Message: "acs_user_id is required",
				ValidationErrors: json.RawMessage(`{"acs_user_id":["Required"]}`)},
			wantString: `seam: DELETE /acs/access_groups/remove_user: 400 invalid_input: acs_user_id is required (request req_400, 1 attempt)`,
		},
		{
			name: "seam 400 with data",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 400, "req_d", map[string]any{"ok": false, "error": map[string]any{
					"type": "acs_user_already_in_group", "message": "Already a member",
					"data": map[string]any{"acs_user_id": "u1", "acs_access_group_id": "g1"},
				}})
			},
			call: func(c *Client) error { _, err := c.AddUserToGroup(context.Background(), "g1", "u1"); return err },
			want: APIError{Method: "PUT", Route: routeGroupsAddUser, Meta: Meta{Attempts: 1, RequestID: "req_d", Status: 400},
				Type: "acs_user_already_in_group", Message: "Already a member",
				Data: json.RawMessage(`{"acs_access_group_id":"g1","acs_user_id":"u1"}`)},
			wantString: `seam: PUT /acs/access_groups/add_user: 400 acs_user_already_in_group: Already a member; data {"acs_access_group_id":"g1","acs_user_id":"u1"} (request req_d, 1 attempt)`,
		},
		{
			name: "seam 404 not found type",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeSeamError(w, 404, "req_nf", "acs_access_group_not_found", "Access group not found")
			},
			call: func(c *Client) error { _, err := c.ListGroupUsers(context.Background(), "g404"); return err },
			want: APIError{Method: "GET", Route: routeGroupsListUsers, Meta: Meta{Attempts: 1, RequestID: "req_nf", Status: 404},
				Type: "acs_access_group_not_found", Message: "Access group not found"},
			wantString: `seam: GET /acs/access_groups/list_users: 404 acs_access_group_not_found: Access group not found (request req_nf, 1 attempt)`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			cl := newTestClient(t, srv, func(o *Options) { o.MaxAttempts = tc.maxAttempts })
			err := tc.call(cl)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an *APIError", err)
			}
			if diff := cmp.Diff(tc.want, *ae, cmpopts.IgnoreFields(APIError{}, "Duration")); diff != "" {
				t.Errorf("APIError (-want +got):\n%s", diff)
			}
			if ae.Error() != tc.wantString {
				t.Errorf("Error() =\n%s\nwant\n%s", ae.Error(), tc.wantString)
			}
			if ae.Duration <= 0 {
				t.Errorf("Duration = %v, want it filled", ae.Duration)
			}
		})
	}
}

func TestMetaOnSuccess(t *testing.T) {
	var n reqCounter
	srv := httptest.NewServer(failing(t, &n, 1, statusFail(502)))
	defer srv.Close()
	meta, err := newTestClient(t, srv, nil).RemoveUserFromGroup(context.Background(), "g1", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Meta{Attempts: 2, RequestID: "req_ok", Status: 200}, meta, cmpopts.IgnoreFields(Meta{}, "Duration")); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
}

func TestUndecodableSuccessIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("seam-request-id", "req_bad")
		fmt.Fprint(w, `{"acs_systems": [`)
	}))
	defer srv.Close()
	cl, err := New(testOptions(t, srv, false)) // the response breaks the contract on purpose
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.ListSystems(context.Background())
	var ae *APIError
	var se *json.SyntaxError
	if !errors.As(err, &ae) || ae.Status != 200 || ae.Retryable || ae.Attempts != 1 || !errors.As(err, &se) {
		t.Errorf("err = %#v, want a non-retryable *APIError wrapping a JSON syntax error", err)
	}
}

func TestIsNotFound(t *testing.T) {
	if !IsNotFound(fmt.Errorf("wrapped: %w", &APIError{Meta: Meta{Status: 404}})) {
		t.Error("wrapped 404 not recognised")
	}
	if IsNotFound(&APIError{Meta: Meta{Status: 400}}) || IsNotFound(errors.New("404")) {
		t.Error("false positive")
	}
}

func TestAPIErrorString(t *testing.T) {
	cases := []struct {
		err  APIError
		want string
	}{
		{APIError{Method: "PUT", Route: "/r", Meta: Meta{Attempts: 3}, Err: fmt.Errorf("no response: %w", io.EOF)},
			"seam: PUT /r: no response: EOF (3 attempts)"},
		{APIError{Method: "PUT", Route: "/r", Meta: Meta{Attempts: 2, Status: 500, RequestID: "req_1"}, Type: "internal_server_error", Message: "boom", Err: ErrRetryBudgetExhausted},
			"seam: PUT /r: 500 internal_server_error: boom: retry budget exhausted (request req_1, 2 attempts)"},
		{APIError{Method: "GET", Route: "/r", Err: context.Canceled},
			"seam: GET /r: context canceled"},
		{APIError{Method: "GET", Route: "/r", Meta: Meta{Status: 400}, Type: "invalid_input", Message: "m", Data: json.RawMessage("{\n  \"a\": [1, 2]\n}")},
			`seam: GET /r: 400 invalid_input: m; data {"a":[1,2]}`},
		{APIError{Method: "GET", Route: "/r", Meta: Meta{Status: 400}, Type: "invalid_input", Message: "m", Data: json.RawMessage(`"` + strings.Repeat("x", 300) + `"`)},
			`seam: GET /r: 400 invalid_input: m; data "` + strings.Repeat("x", 199) + `...`},
		{APIError{Method: "GET", Route: "/r", Meta: Meta{Status: 400}, Type: "invalid_input", Message: "m", Data: json.RawMessage(`null`)},
			`seam: GET /r: 400 invalid_input: m`},
		{APIError{Method: "GET", Route: "/r", Meta: Meta{Attempts: 1, Status: 200}, Err: errors.New("decode response: unexpected end of JSON input")},
			"seam: GET /r: 200 ok: decode response: unexpected end of JSON input (1 attempt)"},
	}
	for _, tc := range cases {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() =\n%s\nwant\n%s", got, tc.want)
		}
	}
}
