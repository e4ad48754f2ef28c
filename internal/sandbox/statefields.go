package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// A state file accepts, for each object, every field Seam's schema gives
// that object, so that objects pasted from API responses load. What the
// sandbox does with a field depends on its rule.
type fieldRule int

const (
	// stored fields are kept in the State and served back.
	stored fieldRule = iota
	// alias fields are deprecated names of a stored field (email for
	// email_address, ...): a value fills the stored field when that is
	// empty, and must agree with it otherwise.
	alias
	// checked fields are derived by the sandbox (workspace_id,
	// connected_account_id, user_identity_email_address, ...): a value given
	// must agree with what the sandbox derives.
	checked
	// ignored fields are derived or transient (display names, counts,
	// errors, warnings, pending mutations, vendor metadata): accepted and
	// dropped, the sandbox shows its own.
	ignored
)

// seamFields are the fields of Seam's acs_system, acs_access_group, acs_user
// and user_identity schemas, by rule. A test holds each list to the OpenAPI
// document.
var seamFields = map[string]map[string]fieldRule{
	"acs_system": {
		"acs_system_id": stored, "name": stored, "external_type": stored, "connected_account_id": stored,
		"location": stored, "created_at": stored,
		"system_type":  alias,
		"workspace_id": checked, "connected_account_ids": checked,
		"external_type_display_name": ignored, "system_type_display_name": ignored, "image_url": ignored,
		"image_alt_text": ignored, "acs_user_count": ignored, "acs_access_group_count": ignored,
		"is_credential_manager": ignored, "default_credential_manager_acs_system_id": ignored,
		"errors": ignored, "warnings": ignored, "visionline_metadata": ignored,
	},
	"acs_access_group": {
		"acs_access_group_id": stored, "acs_system_id": stored, "name": stored, "display_name": stored,
		"access_group_type": stored, "is_managed": stored, "created_at": stored, "access_schedule": stored,
		"external_type": alias,
		"workspace_id":  checked, "connected_account_id": checked,
		"access_group_type_display_name": ignored, "external_type_display_name": ignored,
		"errors": ignored, "warnings": ignored, "pending_mutations": ignored,
	},
	"acs_user": {
		"acs_user_id": stored, "acs_system_id": stored, "full_name": stored, "email_address": stored,
		"phone_number": stored, "user_identity_id": stored, "is_suspended": stored, "created_at": stored,
		"access_schedule": stored,
		"email":           alias,
		"workspace_id":    checked, "connected_account_id": checked, "external_type": checked, "is_managed": checked,
		"user_identity_email_address": checked, "user_identity_full_name": checked, "user_identity_phone_number": checked,
		"display_name": ignored, "external_type_display_name": ignored, "last_successful_sync_at": ignored,
		"pending_mutations": ignored, "errors": ignored, "warnings": ignored, "hid_acs_system_id": ignored,
		"salto_ks_metadata": ignored, "salto_space_metadata": ignored,
	},
	"user_identity": {
		"user_identity_id": stored, "user_identity_key": stored, "full_name": stored, "email_address": stored,
		"phone_number": stored, "acs_user_ids": stored, "created_at": stored,
		"workspace_id": checked,
		"display_name": ignored, "errors": ignored, "warnings": ignored,
	},
}

// shape describes what a state file may hold at one place: the field names
// an object accepts (each with the shape of its value; nil means any value)
// or, for an array, the shape of its items.
type shape struct {
	object string // what the object is, for messages
	fields map[string]*shape
	items  *shape
}

var scheduleShape = &shape{object: "access_schedule", fields: map[string]*shape{"starts_at": nil, "ends_at": nil}}

// objectShape is the shape of a Seam object: its schema's fields, with the
// nested objects the sandbox reads.
func objectShape(schema string, nested map[string]*shape) *shape {
	sh := &shape{object: schema, fields: map[string]*shape{}}
	for name := range seamFields[schema] {
		sh.fields[name] = nested[name]
	}
	return sh
}

var stateShape = &shape{object: "state", fields: map[string]*shape{
	"workspace_id": nil, "api_keys": nil, "personal_access_tokens": nil,
	"acs_systems": {items: objectShape("acs_system", map[string]*shape{
		"location": {object: "location", fields: map[string]*shape{"time_zone": nil}},
	})},
	"acs_access_groups": {items: objectShape("acs_access_group", map[string]*shape{"access_schedule": scheduleShape})},
	"acs_users":         {items: objectShape("acs_user", map[string]*shape{"access_schedule": scheduleShape})},
	"user_identities":   {items: objectShape("user_identity", nil)},
	"memberships": {items: &shape{object: "membership", fields: map[string]*shape{
		"acs_access_group_id": nil, "acs_user_id": nil,
	}}},
}}

// UnknownFieldError is the error of a state file that names a field in no
// schema of the object it is in.
type UnknownFieldError struct {
	// Line and Column locate the field's name (1-based; the column counts bytes).
	Line, Column int
	// Path is where the object is, e.g. "acs_users[3]".
	Path string
	// Object is the kind of object ("acs_user", "state", ...).
	Object string
	// Field is the unknown name.
	Field string
	// Suggestion is the closest accepted name, or "".
	Suggestion string
}

func (e *UnknownFieldError) Error() string {
	where := e.Path
	if where == "" {
		where = "top level"
	}
	msg := fmt.Sprintf("line %d column %d: %s: unknown field %q (not a field of %s)", e.Line, e.Column, where, e.Field, e.Object)
	if e.Suggestion != "" {
		msg += fmt.Sprintf("; did you mean %q?", e.Suggestion)
	}
	return msg
}

// checkFieldNames walks a state document and refuses the first field name
// that no schema gives its object. Syntax and type errors are left to the
// decoder, which reports them with their position.
func checkFieldNames(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := &fieldWalker{data: data, dec: dec}
	err := w.value(stateShape, "")
	var ufe *UnknownFieldError
	if errors.As(err, &ufe) {
		return err
	}
	return nil // the decoder reports anything else
}

type fieldWalker struct {
	data []byte
	dec  *json.Decoder
}

// value reads one value, checking object keys against sh.
func (w *fieldWalker) value(sh *shape, path string) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	d, isDelim := tok.(json.Delim)
	if !isDelim {
		return nil
	}
	switch d {
	case '{':
		for w.dec.More() {
			before := w.dec.InputOffset()
			kt, err := w.dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			var sub *shape
			if sh != nil && sh.fields != nil {
				s, known := sh.fields[key]
				if !known {
					return w.unknown(before, sh, path, key)
				}
				sub = s
			}
			if err := w.value(sub, joinPath(path, key)); err != nil {
				return err
			}
		}
	case '[':
		for i := 0; w.dec.More(); i++ {
			var sub *shape
			if sh != nil {
				sub = sh.items
			}
			if err := w.value(sub, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	_, err = w.dec.Token() // the closing delimiter
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (w *fieldWalker) unknown(offset int64, sh *shape, path, key string) error {
	start := int(offset)
	for start < len(w.data) && bytes.IndexByte([]byte(" \t\r\n,"), w.data[start]) >= 0 {
		start++
	}
	line, col := position(w.data, start)
	names := make([]string, 0, len(sh.fields))
	for n := range sh.fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return &UnknownFieldError{Line: line, Column: col, Path: path, Object: sh.object, Field: key, Suggestion: closest(key, names)}
}

// position returns the 1-based line and column of a byte offset.
func position(data []byte, off int) (line, col int) {
	off = min(off, len(data))
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// closest returns the name nearest to s by edit distance, when it is near
// enough to be a likely typo, else "".
func closest(s string, names []string) string {
	best, bestD := "", -1
	for _, n := range names {
		d := editDistance(s, n)
		if bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	if bestD < 0 || bestD > max(2, len(s)/3) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// derivedState holds the alias and checked fields of a state file, decoded
// beside the State (the arrays line up index by index).
type derivedState struct {
	AcsSystems []struct {
		WorkspaceID         *string  `json:"workspace_id"`
		SystemType          *string  `json:"system_type"`
		ConnectedAccountIDs []string `json:"connected_account_ids"`
	} `json:"acs_systems"`
	AcsAccessGroups []struct {
		WorkspaceID        *string `json:"workspace_id"`
		ConnectedAccountID *string `json:"connected_account_id"`
		ExternalType       *string `json:"external_type"`
	} `json:"acs_access_groups"`
	AcsUsers []struct {
		WorkspaceID              *string `json:"workspace_id"`
		ConnectedAccountID       *string `json:"connected_account_id"`
		Email                    *string `json:"email"`
		ExternalType             *string `json:"external_type"`
		IsManaged                *bool   `json:"is_managed"`
		UserIdentityEmailAddress *string `json:"user_identity_email_address"`
		UserIdentityFullName     *string `json:"user_identity_full_name"`
		UserIdentityPhoneNumber  *string `json:"user_identity_phone_number"`
	} `json:"acs_users"`
	UserIdentities []struct {
		WorkspaceID *string `json:"workspace_id"`
	} `json:"user_identities"`
}

// given returns the value of an optional string field, "" for absent or null.
func given(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// adopt fills stored fields from their deprecated names and from fields the
// sandbox would otherwise derive (a workspace id when the file has none, a
// connected account id from connected_account_ids), before defaults.
func (st *State) adopt(d *derivedState) error {
	adoptAlias := func(where string, field *string, aliasName, fieldName, value string) error {
		switch {
		case value == "":
		case *field == "":
			*field = value
		case *field != value:
			return fmt.Errorf("%s: %s %q differs from %s %q (%s is the deprecated name of %s)", where, aliasName, value, fieldName, *field, aliasName, fieldName)
		}
		return nil
	}
	var workspaces []*string
	for i := range d.AcsSystems {
		where := fmt.Sprintf("acs_systems[%d]", i)
		x, s := &d.AcsSystems[i], &st.AcsSystems[i]
		if err := adoptAlias(where, &s.ExternalType, "system_type", "external_type", given(x.SystemType)); err != nil {
			return err
		}
		if s.ConnectedAccountID == "" && len(x.ConnectedAccountIDs) > 0 {
			s.ConnectedAccountID = x.ConnectedAccountIDs[0]
		}
		workspaces = append(workspaces, x.WorkspaceID)
	}
	for i := range d.AcsAccessGroups {
		where := fmt.Sprintf("acs_access_groups[%d]", i)
		x, g := &d.AcsAccessGroups[i], &st.AcsAccessGroups[i]
		if err := adoptAlias(where, &g.AccessGroupType, "external_type", "access_group_type", given(x.ExternalType)); err != nil {
			return err
		}
		workspaces = append(workspaces, x.WorkspaceID)
	}
	for i := range d.AcsUsers {
		where := fmt.Sprintf("acs_users[%d]", i)
		x, u := &d.AcsUsers[i], &st.AcsUsers[i]
		email := given(x.Email)
		if u.EmailAddress != "" && strings.EqualFold(email, u.EmailAddress) {
			email = "" // the same address, told twice
		}
		if err := adoptAlias(where, &u.EmailAddress, "email", "email_address", email); err != nil {
			return err
		}
		workspaces = append(workspaces, x.WorkspaceID)
	}
	for i := range d.UserIdentities {
		workspaces = append(workspaces, d.UserIdentities[i].WorkspaceID)
	}
	if st.WorkspaceID == "" {
		for _, w := range workspaces {
			if given(w) != "" {
				st.WorkspaceID = *w
				break
			}
		}
	}
	return nil
}

// checkDerived holds the derived fields a file gives to what the sandbox
// derives, after defaults.
func (st *State) checkDerived(d *derivedState) error {
	differs := func(where, field, got, want string) error {
		return fmt.Errorf("%s: %s %q differs from %q, which the sandbox derives (remove the field or correct it)", where, field, got, want)
	}
	workspace := func(where string, w *string) error {
		if v := given(w); v != "" && v != st.WorkspaceID {
			return differs(where, "workspace_id", v, st.WorkspaceID)
		}
		return nil
	}
	systems := map[string]*AcsSystem{}
	for i := range st.AcsSystems {
		systems[st.AcsSystems[i].AcsSystemID] = &st.AcsSystems[i]
	}
	identities := map[string]*UserIdentity{}
	for i := range st.UserIdentities {
		identities[st.UserIdentities[i].UserIdentityID] = &st.UserIdentities[i]
	}
	for i, x := range d.AcsSystems {
		where, s := fmt.Sprintf("acs_systems[%d]", i), &st.AcsSystems[i]
		if err := workspace(where, x.WorkspaceID); err != nil {
			return err
		}
		if len(x.ConnectedAccountIDs) > 0 && !slices.Contains(x.ConnectedAccountIDs, s.ConnectedAccountID) {
			return fmt.Errorf("%s: connected_account_ids %q lack connected_account_id %q", where, x.ConnectedAccountIDs, s.ConnectedAccountID)
		}
	}
	for i, x := range d.AcsAccessGroups {
		where, g := fmt.Sprintf("acs_access_groups[%d]", i), &st.AcsAccessGroups[i]
		if err := workspace(where, x.WorkspaceID); err != nil {
			return err
		}
		if v, want := given(x.ConnectedAccountID), systems[g.AcsSystemID].ConnectedAccountID; v != "" && v != want {
			return differs(where, "connected_account_id", v, want+" (its system's)")
		}
	}
	for i, x := range d.AcsUsers {
		where, u := fmt.Sprintf("acs_users[%d]", i), &st.AcsUsers[i]
		sys := systems[u.AcsSystemID]
		if err := workspace(where, x.WorkspaceID); err != nil {
			return err
		}
		if v, want := given(x.ConnectedAccountID), sys.ConnectedAccountID; v != "" && v != want {
			return differs(where, "connected_account_id", v, want+" (its system's)")
		}
		if v, want := given(x.ExternalType), systemTypes[sys.ExternalType].user; v != "" && v != want {
			return differs(where, "external_type", v, want+" (the user type of a "+sys.ExternalType+")")
		}
		if x.IsManaged != nil && !*x.IsManaged {
			return fmt.Errorf("%s: is_managed is false, but the sandbox serves managed ACS users only (Seam lists unmanaged users elsewhere)", where)
		}
		id := identities[u.UserIdentityID]
		for _, f := range []struct {
			name, got string
			want      func(*UserIdentity) string
			same      func(a, b string) bool
		}{
			{"user_identity_email_address", given(x.UserIdentityEmailAddress), func(id *UserIdentity) string { return id.EmailAddress }, strings.EqualFold},
			{"user_identity_full_name", given(x.UserIdentityFullName), func(id *UserIdentity) string { return id.FullName }, func(a, b string) bool { return a == b }},
			{"user_identity_phone_number", given(x.UserIdentityPhoneNumber), func(id *UserIdentity) string { return id.PhoneNumber }, samePhone},
		} {
			switch {
			case f.got == "":
			case id == nil:
				return fmt.Errorf("%s: %s %q given, but the user has no user_identity_id", where, f.name, f.got)
			case !f.same(f.got, f.want(id)):
				return differs(where, f.name, f.got, f.want(id)+" (of user identity "+id.UserIdentityID+")")
			}
		}
	}
	for i, x := range d.UserIdentities {
		if err := workspace(fmt.Sprintf("user_identities[%d]", i), x.WorkspaceID); err != nil {
			return err
		}
	}
	return nil
}
