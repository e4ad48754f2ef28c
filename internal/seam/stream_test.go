package seam

import (
	"strings"
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
