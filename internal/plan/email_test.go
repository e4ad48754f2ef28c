package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/acs-bulk/acs-bulk/internal/desired"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/seam"
	"github.com/google/go-cmp/cmp"
)

// TestEmailFoldsASCIIOnly reads a CSV with desired.Read and plans it: an
// email spelled with the Kelvin sign (which strings.EqualFold and
// strings.ToLower turn into k) or the long s, or differing from the live one
// by the case of a non-ASCII letter, resolves to no one and says which
// character is at fault; ASCII letters still match whatever their case.
func TestEmailFoldsASCIIOnly(t *testing.T) {
	snap := &live.Snapshot{
		Systems: []seam.System{{ID: "sys_ht", Name: "Harbor Tower"}},
		Groups:  []seam.AccessGroup{{ID: "ag_lobby", SystemID: "sys_ht", Name: "Lobby"}},
		Users: []seam.User{
			{ID: "u_kim", SystemID: "sys_ht", FullName: "Kim Lee", EmailAddress: "kim@x.com"},
			{ID: "u_sam", SystemID: "sys_ht", FullName: "Sam Roe", EmailAddress: "Sam@X.com"},
			{ID: "u_zoe", SystemID: "sys_ht", FullName: "Zoë Orr", EmailAddress: "zoë@x.com"},
		},
		Identities: []seam.UserIdentity{{ID: "ui_kai", EmailAddress: "kai@x.com", FullName: "Kai Fox"}},
		Members:    map[string][]string{"ag_lobby": {}},
	}
	const in = "acs_system,access_group,acs_user_id,user_identity_id,email\n" +
		"Harbor Tower,Lobby,,,KIM@x.com\n" + // line 2: ASCII case folds
		"Harbor Tower,Lobby,,,\u212Aim@x.com\n" + // line 3: Kelvin sign
		"Harbor Tower,Lobby,,,\u017Fam@x.com\n" + // line 4: long s
		"Harbor Tower,Lobby,,,ZOË@x.com\n" + // line 5: Ë is not ë
		"Harbor Tower,Lobby,u_kim,,\u212AIM@x.com\n" + // line 6: against the ACS user's email
		"Harbor Tower,Lobby,,ui_kai,\u212Aai@x.com\n" // line 7: against the identity's email
	f, err := desired.Read(csvFile, strings.NewReader(in), desired.Options{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(f.Rows) != 6 {
		t.Fatalf("Read kept %d rows, want 6 (none is a duplicate of another): %+v", len(f.Rows), f.Rows)
	}
	p, err := Compute(Input{Rows: f.Rows}, snap, Options{MaxRemovals: all, AllowEmptyGroups: true})
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Compute error = %v, want *Errors", err)
	}
	kelvin := "email contains U+212A KELVIN SIGN (not the ASCII letter k): non-ASCII characters must match exactly"
	want := []RowError{
		re(3, desired.ColumnEmail, "no ACS user in Harbor Tower and no user identity has email \u212Aim@x.com", kelvin),
		re(4, desired.ColumnEmail, "no ACS user in Harbor Tower and no user identity has email \u017Fam@x.com",
			"email contains U+017F LATIN SMALL LETTER LONG S (not the ASCII letter s): non-ASCII characters must match exactly"),
		re(5, desired.ColumnEmail, "no ACS user in Harbor Tower and no user identity has email ZOË@x.com",
			"email contains U+00CB LATIN CAPITAL LETTER E WITH DIAERESIS: non-ASCII characters must match exactly"),
		re(6, desired.ColumnEmail, "email \u212AIM@x.com does not match ACS user u_kim (kim@x.com)", kelvin),
		re(7, desired.ColumnEmail, "email \u212Aai@x.com does not match user identity ui_kai (kai@x.com)", kelvin),
	}
	var got []RowError
	for _, e := range errs.Rows {
		got = append(got, *e)
	}
	if diff := cmp.Diff(want, got, ignoreRowValues); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if !p.Blocked {
		t.Errorf("plan not blocked by the unresolved rows")
	}

	// Without the unresolved rows, line 2 adds Kim: the ASCII fold holds.
	p, err = Compute(Input{Rows: f.Rows[:1]}, snap, Options{MaxRemovals: all, AllowEmptyGroups: true})
	if err != nil {
		t.Fatalf("Compute of line 2: %v", err)
	}
	if diff := cmp.Diff([]Operation{add(2, "sys_ht", "ag_lobby", "u_kim", "")}, p.Operations, ignoreNames); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
}
