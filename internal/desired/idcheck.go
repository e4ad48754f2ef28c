package desired

import (
	"fmt"
	"hash/maphash"

	"github.com/acs-bulk/acs-bulk/internal/email"
	"github.com/acs-bulk/acs-bulk/internal/phone"
	"github.com/acs-bulk/acs-bulk/internal/quote"
)

// userCol names one of the user columns inside the identifier checks.
type userCol uint8

const (
	ucAcsUser userCol = iota
	ucIdentity
	ucEmail
	ucPhone
)

// name returns the column's header name.
func (c userCol) name() string {
	return [...]string{ColumnAcsUserID, ColumnIdentityID, ColumnEmail, ColumnPhone}[c]
}

// of returns r's value for the column.
func (c userCol) of(r *Row) string {
	switch c {
	case ucAcsUser:
		return r.AcsUserID
	case ucIdentity:
		return r.UserIdentityID
	case ucEmail:
		return r.Email
	default:
		return r.Phone
	}
}

// same compares two values of the column: emails by email.Equal (ASCII
// letters case-insensitively), phone numbers by their digits (and a leading
// +), the rest exactly.
func (c userCol) same(a, b string) bool {
	switch c {
	case ucEmail:
		return email.Equal(a, b)
	case ucPhone:
		return phone.Normalize(a) == phone.Normalize(b)
	}
	return a == b
}

// write hashes a value of the column so that values same finds equal hash
// alike.
func (c userCol) write(h *maphash.Hash, v string) {
	switch c {
	case ucEmail:
		writeFold(h, v)
	case ucPhone:
		h.WriteString(phone.Normalize(v))
	default:
		h.WriteString(v)
	}
}

// idCheck is an offline consistency rule between two user columns: a key
// value (an acs_user_id, say) must always go with the same value of the other
// column (its email). Only rules that hold for every valid file are listed:
// an acs_user_id or user_identity_id names one person everywhere, while an
// email or phone number names one ACS user only within one system.
type idCheck struct {
	key, val userCol
	// scoped says the key is unique only within one ACS system.
	scoped bool
}

var idCheckList = []idCheck{
	{key: ucAcsUser, val: ucEmail},
	{key: ucAcsUser, val: ucPhone},
	{key: ucAcsUser, val: ucIdentity},
	{key: ucIdentity, val: ucEmail},
	{key: ucIdentity, val: ucPhone},
	{key: ucEmail, val: ucAcsUser, scoped: true},
	{key: ucPhone, val: ucAcsUser, scoped: true},
}

// scope returns the system a row names, by id when it has one.
func scope(r *Row) (kind byte, v string) {
	if r.SystemID != "" {
		return 1, r.SystemID
	}
	return 2, r.SystemName
}

// keyHash hashes the key of c in r, with the system when c is scoped, and
// the value that goes with it.
func (rd *reader) keyHash(c idCheck, r *Row) (key uint64, val uint32) {
	h := &rd.h
	h.Reset()
	if c.scoped {
		kind, s := scope(r)
		h.WriteByte(kind)
		h.WriteString(s)
		h.WriteByte(0)
	}
	c.key.write(h, c.key.of(r))
	key = h.Sum64()
	h.Reset()
	c.val.write(h, c.val.of(r))
	return key, uint32(h.Sum64())
}

// sameKey reports whether a and b have the same key for c.
func sameKey(c idCheck, a, b *Row) bool {
	if !c.key.same(c.key.of(a), c.key.of(b)) {
		return false
	}
	if c.scoped {
		ak, as := scope(a)
		bk, bs := scope(b)
		return ak == bk && as == bs
	}
	return true
}

// crossCheck applies c to every row that has both of its columns filled:
// each row whose key was seen before with another value is an error that
// names the first line the key appeared on with a value.
func (rd *reader) crossCheck(c idCheck) {
	rows := rd.file.Rows
	p := rd.pairs[:0]
	for i := range rows {
		if c.key.of(&rows[i]) != "" && c.val.of(&rows[i]) != "" {
			k, v := rd.keyHash(c, &rows[i])
			p = append(p, hashIdx{h: k, v: v, i: int32(i)})
		}
	}
	p, rd.pairs2 = sortHashIdx(p, rd.pairs2)
	rd.pairs = p
	groups(p, func(g []hashIdx, first []int) {
		for a := 1; a < len(g); a++ {
			f := first[a]
			if f < 0 || g[a].v == g[f].v {
				// A new key, or the same key with the same value (or, with
				// odds of 1 in 2^32 for each conflicting row, a conflict
				// whose values collide: the planner still sees it live).
				continue
			}
			// Rare: read the rows to tell a conflict from a hash collision.
			ra := &rows[g[a].i]
			for b := f; b < a; b++ { // the first row of the key
				rb := &rows[g[b].i]
				if g[b].h != g[a].h || !sameKey(c, rb, ra) {
					continue
				}
				if v, pv := c.val.of(ra), c.val.of(rb); !c.val.same(pv, v) {
					rd.add(ra.Line, c.val.name(), fmt.Sprintf("%s %s has %s %s here but %s on line %d: they name different people",
						c.key.name(), quote.Value(c.key.of(ra)), c.val.name(), quote.Value(v), quote.Value(pv), rb.Line))
				}
				break
			}
		}
	})
}
