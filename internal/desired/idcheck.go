package desired

import (
	"fmt"
	"hash/maphash"
	"strings"
)

// idCheck is an offline consistency rule between two user columns: a key
// value (an acs_user_id, say) must always go with the same value of the other
// column (its email). Only rules that hold for every valid file are listed:
// an acs_user_id or user_identity_id names one person everywhere, while an
// email or phone number names one ACS user only within one system.
type idCheck struct {
	keyCol, valCol string
	// scoped says the key is unique only within one ACS system.
	scoped bool
	// seen maps the hash of a key (and scope) to the index in File.Rows of
	// the first row that has both columns filled.
	seen map[uint64]int32
}

var idCheckList = []*idCheck{
	{keyCol: ColumnAcsUserID, valCol: ColumnEmail},
	{keyCol: ColumnAcsUserID, valCol: ColumnPhone},
	{keyCol: ColumnAcsUserID, valCol: ColumnIdentityID},
	{keyCol: ColumnIdentityID, valCol: ColumnEmail},
	{keyCol: ColumnIdentityID, valCol: ColumnPhone},
	{keyCol: ColumnEmail, valCol: ColumnAcsUserID, scoped: true},
	{keyCol: ColumnPhone, valCol: ColumnAcsUserID, scoped: true},
}

// userField returns r's value for one of the user columns.
func userField(r *Row, col string) string {
	switch col {
	case ColumnAcsUserID:
		return r.AcsUserID
	case ColumnIdentityID:
		return r.UserIdentityID
	case ColumnEmail:
		return r.Email
	case ColumnPhone:
		return r.Phone
	}
	panic("desired: not a user column: " + col)
}

// sameValue compares two values of col: emails case-insensitively, phone
// numbers by their digits (and a leading +), the rest exactly.
func sameValue(col, a, b string) bool {
	switch col {
	case ColumnEmail:
		return strings.EqualFold(a, b)
	case ColumnPhone:
		return phoneDigits(a) == phoneDigits(b)
	}
	return a == b
}

// writeValue hashes a value of col so that values sameValue finds equal
// hash alike.
func writeValue(h *maphash.Hash, col, v string) {
	switch col {
	case ColumnEmail:
		writeFold(h, v)
	case ColumnPhone:
		h.WriteString(phoneDigits(v))
	default:
		h.WriteString(v)
	}
}

// phoneDigits keeps the digits of a phone number and a + in front of them,
// so that "+1 (555) 010-0100" and "+15550100100" compare equal.
func phoneDigits(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || c == '+' && i == 0) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if '0' <= c && c <= '9' || c == '+' && len(b) == 0 {
			b = append(b, c)
		}
	}
	return string(b)
}

// scope returns the system a row names, by id when it has one.
func scope(r *Row) (kind byte, v string) {
	if r.SystemID != "" {
		return 1, r.SystemID
	}
	return 2, r.SystemName
}

// check applies c to r, which is about to be appended to File.Rows.
func (rd *reader) check(c *idCheck, r *Row) {
	k, v := userField(r, c.keyCol), userField(r, c.valCol)
	if k == "" || v == "" {
		return
	}
	h := &rd.h
	h.Reset()
	if c.scoped {
		kind, s := scope(r)
		h.WriteByte(kind)
		h.WriteString(s)
		h.WriteByte(0)
	}
	writeValue(h, c.keyCol, k)
	sum := h.Sum64()
	i, ok := c.seen[sum]
	if !ok {
		c.seen[sum] = int32(len(rd.file.Rows))
		return
	}
	prev := &rd.file.Rows[i]
	if !sameValue(c.keyCol, userField(prev, c.keyCol), k) {
		return // a hash collision, not the same key
	}
	if c.scoped {
		pk, ps := scope(prev)
		if kind, s := scope(r); kind != pk || s != ps {
			return
		}
	}
	if pv := userField(prev, c.valCol); !sameValue(c.valCol, pv, v) {
		rd.add(r.Line, c.valCol, fmt.Sprintf("%s %q has %s %q here but %q on line %d: they name different people",
			c.keyCol, k, c.valCol, v, pv, prev.Line))
	}
}
