package seam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSecretsNeverShown(t *testing.T) {
	const token = "seam_at_S3CRET_token_value"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A careless server echoing the credentials back in its error.
		writeSeamError(w, 401, "req_401", "unauthorized", "bad key "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	defer srv.Close()

	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, cred := range []struct {
		name   string
		secret string
		set    func(*Options)
	}{
		{"api key", testKey, func(o *Options) {}},
		{"personal access token", token, func(o *Options) { o.APIKey, o.PersonalAccessToken, o.WorkspaceID = "", token, "ws_1" }},
	} {
		t.Run(cred.name, func(t *testing.T) {
			opts := testOptions(t, srv, true)
			opts.Logger = logger
			cred.set(&opts)
			cl, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			_, callErr := cl.AddUserToGroup(context.Background(), "g1", "u1")
			var ae *APIError
			if !errors.As(callErr, &ae) || ae.Status != 401 || ae.Message != "bad key "+redacted {
				t.Fatalf("err = %v, want a 401 with the echoed key redacted", callErr)
			}
			optsJSON, err := json.Marshal(opts)
			if err != nil {
				t.Fatal(err)
			}
			clientJSON, err := json.Marshal(cl)
			if err != nil {
				t.Fatal(err)
			}
			var slogged syncBuffer
			slog.New(slog.NewJSONHandler(&slogged, nil)).Info("config", "opts", opts, "client", cl)
			shown := map[string]string{
				"error":          callErr.Error(),
				"error %+v":      fmt.Sprintf("%+v", callErr),
				"error %#v":      fmt.Sprintf("%#v", ae),
				"client %v":      fmt.Sprintf("%v", cl),
				"client %+v":     fmt.Sprintf("%+v", cl),
				"client %#v":     fmt.Sprintf("%#v", cl),
				"client %s":      fmt.Sprintf("%s", cl),
				"client deref":   fmt.Sprintf("%+v", *cl),
				"options %v":     fmt.Sprintf("%v", opts),
				"options %+v":    fmt.Sprintf("%+v", opts),
				"options %#v":    fmt.Sprintf("%#v", opts),
				"options ptr %v": fmt.Sprintf("%+v", &opts),
				"options json":   string(optsJSON),
				"client json":    string(clientJSON),
				"slog":           slogged.String(),
				"debug log":      logs.String(),
			}
			for what, s := range shown {
				if strings.Contains(s, cred.secret) {
					t.Errorf("%s shows the secret: %s", what, s)
				}
			}
			if !strings.Contains(shown["options %+v"], redacted) {
				t.Errorf("options %%+v = %s, want the redaction marker", shown["options %+v"])
			}
			if !strings.Contains(logs.String(), "route=/acs/access_groups/add_user") {
				t.Errorf("debug log lacks the attempt line: %s", logs.String())
			}
		})
	}
}

func TestDebugLogOneLinePerAttempt(t *testing.T) {
	var n reqCounter
	srv := httptest.NewServer(failing(t, &n, 2, statusFail(503)))
	defer srv.Close()
	var logs syncBuffer
	cl := newTestClient(t, srv, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	if _, err := cl.AddUserToGroup(context.Background(), "g1", "u1"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines, want 3:\n%s", len(lines), logs.String())
	}
	for i, want := range []string{"status=503 request_id=req_fail attempt=1", "status=503 request_id=req_fail attempt=2", "status=200 request_id=req_ok attempt=3"} {
		if !strings.Contains(lines[i], want) || !strings.Contains(lines[i], "method=PUT") {
			t.Errorf("line %d = %s, want it to contain %q", i+1, lines[i], want)
		}
		if strings.Contains(lines[i], "Authorization") || strings.Contains(lines[i], "Bearer") {
			t.Errorf("line %d shows headers: %s", i+1, lines[i])
		}
	}
}
