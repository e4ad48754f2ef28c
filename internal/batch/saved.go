package batch

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/exitcode"
	"github.com/acs-bulk/acs-bulk/internal/live"
	"github.com/acs-bulk/acs-bulk/internal/plan"
)

// SavedCheck says how a saved plan is checked against what it was made
// from, besides the members of its groups.
type SavedCheck struct {
	// Path names the plan in messages.
	Path string
	// AllowStale applies the plan even if its groups changed, skipping the
	// operations already satisfied.
	AllowStale bool
	// Fingerprint, when set (apply --plan with --file), computes the
	// fingerprint of the live state the plan depends on now: it must be
	// the plan's unless AllowStale.
	Fingerprint func(ctx context.Context) (string, error)
}

// StaleError is a saved plan whose live state changed since it was made:
// the guard exit status, and nothing was changed.
type StaleError struct{ msg string }

func (e *StaleError) Error() string { return e.msg }

// ExitCode makes a stale plan exit with the guard status.
func (e *StaleError) ExitCode() int { return exitcode.Guard }

// Saved builds the job of a saved plan: it reads the plan's groups again
// and refuses the plan when their members changed (unless AllowStale), or
// when the fingerprint differs; the operations left are planned again on
// the state as it is now, with the guards computed again, since a stale
// plan must not empty a group that other changes have thinned since.
func (s *Session) Saved(ctx context.Context, doc *plan.Document, check SavedCheck, concurrency int) (*Job, error) {
	if doc.Plan.Blocked {
		return nil, exitcode.Usagef("%s is a plan whose rows did not resolve; nothing can be applied from it", check.Path)
	}
	if ge := doc.Plan.Guard(); ge != nil {
		return nil, ge
	}
	groups := make([]string, 0, len(doc.Members))
	for g := range doc.Members {
		groups = append(groups, g)
	}
	members, err := live.ReadMembers(ctx, s.deps.Client, groups, concurrency)
	if err != nil {
		return nil, fmt.Errorf("read live state: %w", err)
	}
	changes := live.DiffMembers(doc.Members, members.IDs())
	if len(changes) > 0 && !check.AllowStale {
		return nil, staleMembers(check.Path, doc, changes)
	}
	if check.Fingerprint != nil && !check.AllowStale && len(changes) == 0 {
		fp, err := check.Fingerprint(ctx)
		if err != nil {
			return nil, err
		}
		if fp != doc.StateFingerprint {
			return nil, &StaleError{fmt.Sprintf("%s is stale: the groups, users or identities it was computed from changed since %s (state fingerprint %s, the plan says %s); plan again, or pass --allow-stale; nothing was changed",
				check.Path, doc.CreatedAt.Format(time.RFC3339), Short(strings.TrimPrefix(fp, "sha256:")), Short(strings.TrimPrefix(doc.StateFingerprint, "sha256:")))}
		}
	}
	p, done, err := plan.Replan(doc.Plan.Operations, members.IDs(), doc.Options, Satisfied(members))
	if err != nil {
		return nil, err
	}
	d := *doc
	d.Plan = p
	return &Job{Verb: Apply, Doc: &d, Skipped: done}, nil
}

// staleMembers says what changed in the plan's groups since it was made.
func staleMembers(file string, doc *plan.Document, changes []live.MemberChange) error {
	names := map[string]string{}
	for _, g := range doc.Plan.Groups {
		names[g.GroupID] = g.GroupName
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s is stale: %d memberships of its groups changed since it was made at %s:", file, len(changes), doc.CreatedAt.Format(time.RFC3339))
	for i, c := range changes {
		if i == 20 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(changes)-20)
			break
		}
		sign := "-"
		if c.Added {
			sign = "+"
		}
		fmt.Fprintf(&b, "\n  %s %s in %s (%s)", sign, c.AcsUserID, names[c.GroupID], c.GroupID)
	}
	b.WriteString("\nplan again, or pass --allow-stale to skip what is already done; nothing was changed")
	return &StaleError{b.String()}
}

// Short cuts a hex digest to its first 12 characters, for messages.
func Short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
