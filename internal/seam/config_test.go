package seam

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNewCredentials(t *testing.T) {
	type headers struct{ auth, workspace string }
	cases := []struct {
		name    string
		env     map[string]string
		opts    Options
		want    headers
		wantErr []string // substrings of the error; nil means success
	}{
		{
			name: "api key from env",
			env:  map[string]string{EnvAPIKey: "seam_key1"},
			want: headers{auth: "Bearer seam_key1"},
		},
		{
			name: "personal access token and workspace from env",
			env:  map[string]string{EnvPersonalAccessToken: "seam_at_tok", EnvWorkspaceID: "ws_9"},
			want: headers{auth: "Bearer seam_at_tok", workspace: "ws_9"},
		},
		{
			name: "api key ignores a leftover workspace id",
			env:  map[string]string{EnvAPIKey: "seam_key1", EnvWorkspaceID: "ws_9"},
			want: headers{auth: "Bearer seam_key1"},
		},
		{
			name:    "token without workspace is refused",
			env:     map[string]string{EnvPersonalAccessToken: "seam_at_tok"},
			wantErr: []string{"seam: a personal access token needs a workspace: set SEAM_WORKSPACE_ID to the workspace's id"},
		},
		{
			name:    "key and token both set is refused",
			env:     map[string]string{EnvAPIKey: "seam_key1", EnvPersonalAccessToken: "seam_at_tok", EnvWorkspaceID: "ws"},
			wantErr: []string{"both", EnvAPIKey, EnvPersonalAccessToken},
		},
		{
			name:    "no credentials names the variables",
			env:     map[string]string{},
			wantErr: []string{"no credentials", EnvAPIKey, EnvPersonalAccessToken, EnvWorkspaceID},
		},
		{
			name:    "access token in the api key variable is refused",
			env:     map[string]string{EnvAPIKey: "seam_at_tok"},
			wantErr: []string{EnvAPIKey, "personal access token"},
		},
		{
			name: "explicit key wins over env token",
			env:  map[string]string{EnvPersonalAccessToken: "seam_at_env", EnvWorkspaceID: "ws_env"},
			opts: Options{APIKey: "seam_opt"},
			want: headers{auth: "Bearer seam_opt"},
		},
		{
			name: "explicit token and workspace win over env key",
			env:  map[string]string{EnvAPIKey: "seam_env", EnvWorkspaceID: "ws_env"},
			opts: Options{PersonalAccessToken: "seam_at_opt", WorkspaceID: "ws_opt"},
			want: headers{auth: "Bearer seam_at_opt", workspace: "ws_opt"},
		},
		{
			name:    "explicit key and token both set is refused",
			opts:    Options{APIKey: "seam_k", PersonalAccessToken: "seam_at_t", WorkspaceID: "ws"},
			wantErr: []string{"both", "Options.APIKey", "Options.PersonalAccessToken"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got headers
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = headers{auth: r.Header.Get("Authorization"), workspace: r.Header.Get("Seam-Workspace")}
				writeJSON(w, 200, "req_1", map[string]any{"ok": true, "acs_systems": []any{}})
			}))
			defer srv.Close()
			env := map[string]string{EnvEndpoint: srv.URL}
			for k, v := range tc.env {
				env[k] = v
			}
			opts := tc.opts
			opts.Getenv = envOf(env)
			opts.HTTPClient = &http.Client{Transport: contractTransport(t, srv.Client().Transport, true)}
			c, err := New(opts)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("New succeeded, want an error mentioning %q", tc.wantErr)
				}
				for _, s := range tc.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if c.Endpoint() != srv.URL {
				t.Errorf("Endpoint() = %q, want %q (from %s)", c.Endpoint(), srv.URL, EnvEndpoint)
			}
			if _, err := c.ListSystems(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("headers = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestNewEndpoint(t *testing.T) {
	cases := []struct {
		name, env, opt string
		want           string // Endpoint(); "" means New fails
	}{
		{name: "default", want: DefaultEndpoint},
		{name: "env", env: "https://example.com/", want: "https://example.com"},
		{name: "option wins over env", env: "https://env.example.com", opt: "https://opt.example.com", want: "https://opt.example.com"},
		{name: "http to 127.0.0.1", opt: "http://127.0.0.1:8787", want: "http://127.0.0.1:8787"},
		{name: "http to 127.0.0.2", opt: "http://127.0.0.2:8787", want: "http://127.0.0.2:8787"},
		{name: "http to ::1", opt: "http://[::1]:8787", want: "http://[::1]:8787"},
		{name: "http to localhost", opt: "http://localhost:8787", want: "http://localhost:8787"},
		{name: "http to a remote host", opt: "http://connect.getseam.com"},
		{name: "http to a private address", opt: "http://10.0.0.1"},
		{name: "http to a name that starts like localhost", opt: "http://localhost.evil.example"},
		{name: "another scheme", opt: "ftp://127.0.0.1"},
		{name: "no host", opt: "https://"},
		{name: "user info", opt: "https://user:pw@example.com"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Options{APIKey: "seam_k", Endpoint: tc.opt, Getenv: envOf(map[string]string{EnvEndpoint: tc.env})})
			if tc.want == "" {
				if err == nil {
					t.Fatalf("New accepted %q", tc.opt)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Errorf("error shows the endpoint's password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Endpoint(); got != tc.want {
				t.Errorf("Endpoint() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"adaptive without rate": {Adaptive: true},
		"negative rate":         {Rate: -1},
		"page limit too big":    {PageLimit: 1001},
	} {
		t.Run(name, func(t *testing.T) {
			o.APIKey, o.Getenv = "seam_k", noEnv
			if _, err := New(o); err == nil {
				t.Error("New succeeded")
			}
		})
	}
}
