package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// DocumentVersion is the version of the saved plan format this package
// writes. [Unmarshal] reads it and version 1, whose input was one CSV
// (input_file and input_sha256).
const DocumentVersion = 2

// Input kinds of an [InputFile].
const (
	InputCSV   = "csv"   // a desired-state CSV or HR export (--file)
	InputRules = "rules" // the access rules (--rules)
)

// Document is a saved plan (`acs-bulk plan --out plan.json`), read back by
// `apply --plan`. The command fills every field; this package only carries
// them: it computes neither the hashes nor the fingerprint.
type Document struct {
	Version int `json:"version"`
	// ToolVersion is the version of acs-bulk that made the plan.
	ToolVersion string    `json:"tool_version"`
	CreatedAt   time.Time `json:"created_at"`
	// Inputs identify the files the plan was computed from, in the order
	// given: the CSVs, then the rules file.
	Inputs []InputFile `json:"inputs"`
	// Reading says how the CSVs were read, so that the same rows can be
	// read from them again.
	Reading Reading `json:"reading"`
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

// InputFile is one file a plan was computed from.
type InputFile struct {
	// Path is the file's name as given.
	Path string `json:"path"`
	// Kind is InputCSV or InputRules.
	Kind string `json:"kind"`
	// SHA256 is the hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
}

// Reading is how a plan's CSVs were read: the column mapping (our name ->
// the file's), the separator of the group lists and the field delimiter,
// each "" (or empty) when not given.
type Reading struct {
	Columns       map[string]string `json:"columns,omitempty"`
	ListSeparator string            `json:"list_separator,omitempty"`
	Delimiter     string            `json:"delimiter,omitempty"`
}

// Files returns the paths of the inputs of kind, in order.
func (d *Document) Files(kind string) []InputFile {
	var out []InputFile
	for _, f := range d.Inputs {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// documentV1 is a saved plan of version 1: one CSV, no reading options.
type documentV1 struct {
	Version          int                 `json:"version"`
	ToolVersion      string              `json:"tool_version"`
	CreatedAt        time.Time           `json:"created_at"`
	InputFile        string              `json:"input_file"`
	InputSHA256      string              `json:"input_sha256"`
	Options          Options             `json:"options"`
	StateFingerprint string              `json:"state_fingerprint"`
	Members          map[string][]string `json:"members"`
	Plan             *Plan               `json:"plan"`
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
// than [DocumentVersion] and 1, and a document without a plan. A version 1
// document (a run directory of an earlier acs-bulk) comes back as the
// current version: its CSV is the one input.
func Unmarshal(data []byte) (*Document, error) {
	var probe struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("read plan document: %w", err)
	}
	var d Document
	switch probe.Version {
	case DocumentVersion:
		if err := decodeStrict(data, &d); err != nil {
			return nil, err
		}
	case 1:
		var v1 documentV1
		if err := decodeStrict(data, &v1); err != nil {
			return nil, err
		}
		d = Document{Version: DocumentVersion, ToolVersion: v1.ToolVersion, CreatedAt: v1.CreatedAt,
			Inputs: []InputFile{}, Options: v1.Options, StateFingerprint: v1.StateFingerprint, Members: v1.Members, Plan: v1.Plan}
		if v1.InputFile != "" || v1.InputSHA256 != "" {
			d.Inputs = append(d.Inputs, InputFile{Path: v1.InputFile, Kind: InputCSV, SHA256: v1.InputSHA256})
		}
	default:
		return nil, fmt.Errorf("plan document version %d is not supported (this acs-bulk reads versions 1 and %d)", probe.Version, DocumentVersion)
	}
	if d.Plan == nil {
		return nil, errors.New("read plan document: no plan in it")
	}
	return &d, nil
}

// decodeStrict decodes data into v, refusing unknown fields.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("read plan document: %w", err)
	}
	return nil
}
