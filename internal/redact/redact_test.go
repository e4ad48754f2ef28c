package redact

import (
	"log/slog"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"nothing secret", []string{"acs-bulk", "apply", "--file", "f.csv", "--max-removals=10%"}, []string{"acs-bulk", "apply", "--file", "f.csv", "--max-removals=10%"}},
		{"api key, separate value", []string{"apply", "--api-key", "seam_x"}, []string{"apply", "--api-key", "REDACTED"}},
		{"api key, joined value", []string{"apply", "--api-key=seam_x"}, []string{"apply", "--api-key=REDACTED"}},
		{"joined empty value", []string{"--token="}, []string{"--token=REDACTED"}},
		{"token", []string{"--token", "t", "--file", "f"}, []string{"--token", "REDACTED", "--file", "f"}},
		{"name containing key, any case", []string{"--Seam-API-KEY", "k"}, []string{"--Seam-API-KEY", "REDACTED"}},
		{"name containing token", []string{"--access-token=t"}, []string{"--access-token=REDACTED"}},
		{"secret", []string{"--client-secret", "s"}, []string{"--client-secret", "REDACTED"}},
		{"password", []string{"--db-password=p", "x"}, []string{"--db-password=REDACTED", "x"}},
		{"single dash", []string{"-api-key", "k"}, []string{"-api-key", "REDACTED"}},
		{"value that starts with a dash", []string{"--api-key", "-abc"}, []string{"--api-key", "REDACTED"}},
		{"next flag is kept", []string{"--token", "--file", "f"}, []string{"--token", "--file", "f"}},
		{"flag last, no value", []string{"apply", "--token"}, []string{"apply", "--token"}},
		{"value equal to the flag name form", []string{"--key", "--key=x"}, []string{"--key", "--key=REDACTED"}},
		{"after the terminator too", []string{"--", "--api-key", "k"}, []string{"--", "--api-key", "REDACTED"}},
		{"positional words are not flags", []string{"apply", "token", "key"}, []string{"apply", "token", "key"}},
		{"equals sign inside the value", []string{"--api-key=a=b"}, []string{"--api-key=REDACTED"}},
		{"empty", []string{}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.in)
			got := Args(in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.in, in); diff != "" {
				t.Errorf("input modified (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAttr(t *testing.T) {
	for key, want := range map[string]string{
		"api_key": Value, "Authorization": Value, "token_hint": Value, "seam_api_key": Value,
		"endpoint": "v", "run_id": "v", "email": "v",
	} {
		if got := Attr(nil, slog.String(key, "v")).Value.String(); got != want {
			t.Errorf("%s: got %q, want %q", key, got, want)
		}
	}
}
