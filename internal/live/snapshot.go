// Package live holds a snapshot of the live state of a Seam workspace (the
// systems, groups, users and memberships a plan is computed against) and reads
// it through the API client.
package live

import "github.com/acs-bulk/acs-bulk/internal/seam"

// Snapshot is the live state read from the API, restricted to what a plan
// needs. It is plain data: the planner reads it and never does I/O.
type Snapshot struct {
	Systems []seam.System
	// Groups of the systems read, managed or not.
	Groups []seam.AccessGroup
	// Users are the ACS users of the systems read.
	Users []seam.User
	// Identities are the workspace's user identities (read only when a row
	// needs them: an email or phone with no ACS user, or a user_identity_id).
	Identities []seam.UserIdentity
	// Members maps an access group id to the ids of its ACS users, for the
	// groups whose members were read.
	Members map[string][]string
}
