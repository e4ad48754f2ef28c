package live

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
)

// Fingerprint is a digest of the parts of the snapshot a plan depends on:
// the groups (id, system, name, managed), the members of each group read,
// and the users' identifying fields. Two reads of an unchanged workspace give
// the same fingerprint; a saved plan keeps it to detect a stale plan.
func (s *Snapshot) Fingerprint() string {
	h := sha256.New()
	for _, g := range s.Groups {
		fmt.Fprintf(h, "g\x00%s\x00%s\x00%s\x00%t\n", g.ID, g.SystemID, g.Name, g.Managed())
	}
	gids := make([]string, 0, len(s.Members))
	for id := range s.Members {
		gids = append(gids, id)
	}
	sort.Strings(gids)
	for _, id := range gids {
		io.WriteString(h, "m\x00"+id)
		for _, u := range s.Members[id] {
			io.WriteString(h, "\x00"+u)
		}
		io.WriteString(h, "\n")
	}
	for _, u := range s.Users {
		fmt.Fprintf(h, "u\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\n", u.ID, u.SystemID, u.EmailAddr(), u.PhoneNumber, u.UserIdentityID, u.UserIdentityEmailAddress)
	}
	for _, i := range s.Identities {
		fmt.Fprintf(h, "i\x00%s\x00%s\x00%s\n", i.ID, i.EmailAddress, i.PhoneNumber)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
