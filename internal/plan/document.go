package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// DocumentVersion is the version of the saved plan format this package
// writes and reads.
const DocumentVersion = 1

// Document is a saved plan (`acs-bulk plan --out plan.json`), read back by
// `apply --plan`. The command fills every field; this package only carries
// them: it computes neither the hash nor the fingerprint.
type Document struct {
	Version int `json:"version"`
	// ToolVersion is the version of acs-bulk that made the plan.
	ToolVersion string    `json:"tool_version"`
	CreatedAt   time.Time `json:"created_at"`
	// InputFile and InputSHA256 identify the CSV the plan was computed from.
	InputFile   string `json:"input_file"`
	InputSHA256 string `json:"input_sha256"`
	// Options are the options the plan was computed with.
	Options Options `json:"options"`
	// StateFingerprint identifies the live state the plan was computed
	// against, so that apply can refuse a plan made from a stale read.
	StateFingerprint string `json:"state_fingerprint"`
	// Members are the member ids of every in-scope group when the plan was
	// computed: apply --plan reads them again and says what changed.
	Members map[string][]string `json:"members"`
	Plan    *Plan               `json:"plan"`
}

// Marshal encodes the document as indented JSON ending in a newline.
func (d *Document) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Unmarshal decodes a saved plan, refusing unknown fields, a version other
// than [DocumentVersion] and a document without a plan.
func Unmarshal(data []byte) (*Document, error) {
	var probe struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("read plan document: %w", err)
	}
	if probe.Version != DocumentVersion {
		return nil, fmt.Errorf("plan document version %d is not supported (this acs-bulk reads version %d)", probe.Version, DocumentVersion)
	}
	var d Document
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("read plan document: %w", err)
	}
	if d.Plan == nil {
		return nil, errors.New("read plan document: no plan in it")
	}
	return &d, nil
}
