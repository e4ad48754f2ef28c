package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// derivedID returns a stable UUID-shaped id (version 8, RFC 9562 variant)
// made from a hash of its parts, so generated files do not change between runs.
func derivedID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return formatUUID(h[:16])
}

// randomUUID returns a random version 4 UUID.
func randomUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	return formatUUID(b[:])
}

func formatUUID(b []byte) string {
	var u [16]byte
	copy(u[:], b)
	if u[6]>>4 != 4 {
		u[6] = u[6]&0x0f | 0x80
	}
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", x[0:8], x[8:12], x[12:16], x[16:20], x[20:32])
}

// NewAPIKey returns a fresh random API key of the form seam_sandbox_<32 hex>.
func NewAPIKey() string {
	var b [16]byte
	rand.Read(b[:])
	return "seam_sandbox_" + hex.EncodeToString(b[:])
}
