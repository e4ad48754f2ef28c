package report

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// NewRunID returns a fresh run identifier: 8 random hexadecimal digits.
func NewRunID() string {
	var b [4]byte
	rand.Read(b[:]) // never fails (crypto/rand aborts the program instead)
	return hex.EncodeToString(b[:])
}

// RunDirName returns the name of a run's directory: the start time in UTC,
// to the second and without colons, then the run id, such as
// 20261122T193000Z-1a2b3c4d. Names sort in start order.
func RunDirName(t time.Time, runID string) string {
	return t.UTC().Format("20060102T150405Z") + "-" + runID
}
