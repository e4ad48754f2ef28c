package contract

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"testing"
)

// sharedSpec is the team's copy of Seam's OpenAPI document, beside the
// repository (absent in a user's clone, present in CI).
const sharedSpec = "../../../shared/seam/openapi-acs.json"

// TestSpecIsTheSharedCopy fails when testdata/openapi-acs.json is not the
// document in ../shared/seam: the contract must be the one the team agreed on.
func TestSpecIsTheSharedCopy(t *testing.T) {
	shared, err := os.ReadFile(sharedSpec)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is absent (a clone without ../shared); CI has it", sharedSpec)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, specJSON) {
		t.Fatalf("testdata/openapi-acs.json (%d bytes) differs from %s (%d bytes): copy the shared file into testdata", len(specJSON), sharedSpec, len(shared))
	}
}
