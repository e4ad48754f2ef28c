// Package desired reads the desired-state CSV: one row per membership that
// should exist. It only parses and checks the file; it never calls the API.
package desired

// Row is one desired membership as written in the CSV, before it is resolved
// against the live state. Empty strings mean "column absent or blank".
type Row struct {
	// File and Line locate the row: Line is the physical line (1-based) on
	// which the record starts, correct after quoted multi-line fields.
	File string
	Line int

	SystemID   string // acs_system_id
	SystemName string // acs_system

	AcsUserID      string // acs_user_id
	UserIdentityID string // user_identity_id
	Email          string // email (trimmed; compared case-insensitively)
	Phone          string // phone_number

	GroupID   string // acs_access_group_id
	GroupName string // access_group

	FullName string // full_name, carried for reports
}
