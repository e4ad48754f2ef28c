package sandbox

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Faults are the failures the sandbox injects, so that a client's retries,
// pacing and reporting can be rehearsed. The zero value injects nothing.
// Change them while serving with (*Server).SetFaults.
type Faults struct {
	// Latency delays every response to a known route by this much. The wait
	// ends early when the request's context is cancelled (the client gave up).
	Latency time.Duration
	// Jitter adds a random extra delay between 0 and Jitter to Latency.
	Jitter time.Duration
	// RateLimit is the number of requests per second the server accepts
	// (0 = no limit). Requests above it get 429 rate_limited with a
	// Retry-After header in whole seconds (at least 1).
	RateLimit float64
	// RateBurst is the number of requests that may arrive at once; 0 means
	// max(1, RateLimit rounded down).
	RateBurst int
	// ErrorRate is the fraction (0 to 1) of requests answered with a server
	// error: half 500 internal_server_error, a quarter 503 with a Seam error
	// body and a quarter 503 with an empty body (clients must cope with
	// non-JSON errors).
	ErrorRate float64
	// DropRate is the fraction (0 to 1) of requests whose connection is
	// closed without any response.
	DropRate float64
	// FailAfterCommit makes ErrorRate and DropRate strike membership changes
	// after the change has been applied, as when a response is lost on its
	// way back: a client that retries then repeats a change that happened.
	// By default injected errors strike before anything changes.
	FailAfterCommit bool
	// Scripted are failures for chosen users or groups, applied to
	// membership changes (add and remove, on every route that makes them).
	Scripted []ScriptedFailure
	// Defer makes membership changes of these users and groups scheduled
	// rather than pushed: until Options.PropagationDelay has passed, the
	// user shows a deferring_group_membership_update mutation (with
	// acs_access_group_id and variant "adding" or "removing") and the group
	// a deferring_user_membership_update (acs_user_id, variant) instead of
	// the updating_* ones. Needs PropagationDelay above zero.
	Defer []Target
	// AcsReject makes the access system refuse membership changes of these
	// users and groups: the change is accepted (200) and shows as pending,
	// but when Options.PropagationDelay has passed the membership goes back
	// to what it was and the user carries a failed_to_update_on_acs_system
	// error (message naming the group, created_at the time of the refusal)
	// until a later change of the same membership reaches the access
	// system. Needs PropagationDelay above zero.
	AcsReject []Target
}

// Target names the membership changes a Defer or AcsReject fault strikes:
// those of one ACS user or of one access group. Exactly one field is set.
type Target struct {
	// AcsUserID matches changes of this ACS user.
	AcsUserID string
	// AccessGroupID matches changes of this access group.
	AccessGroupID string
}

// ParseTarget parses the command-line form of a Target: KIND=VALUE, KIND
// user (an acs_user_id) or group (an acs_access_group_id), e.g.
// "user=acs_user1" or "group=9b0c...".
func ParseTarget(s string) (Target, error) {
	var t Target
	kind, value, ok := strings.Cut(s, "=")
	if !ok {
		return t, fmt.Errorf("target %q: want KIND=VALUE, KIND user or group", s)
	}
	if value == "" {
		return t, fmt.Errorf("target %q: empty %s", s, kind)
	}
	switch kind {
	case "user":
		t.AcsUserID = value
	case "group":
		t.AccessGroupID = value
	default:
		return t, fmt.Errorf("target %q: kind %q is not user or group", s, kind)
	}
	return t, nil
}

// String returns the target in the form ParseTarget reads.
func (t Target) String() string {
	if t.AccessGroupID != "" {
		return "group=" + t.AccessGroupID
	}
	return "user=" + t.AcsUserID
}

// matchesAny reports whether a change of userID in groupID is one of targets'.
func matchesAny(targets []Target, userID, groupID string) bool {
	for _, t := range targets {
		if (t.AcsUserID != "" && t.AcsUserID == userID) || (t.AccessGroupID != "" && t.AccessGroupID == groupID) {
			return true
		}
	}
	return false
}

// ErrNeedsPropagationDelay is wrapped by the error of Options.Validate when
// Faults.Defer or Faults.AcsReject are set without a PropagationDelay: both
// act when the delay has passed.
var ErrNeedsPropagationDelay = errors.New("needs a propagation delay above zero")

// Validate checks the options: the faults (see Faults.Validate), a
// PropagationDelay that is not negative, and one above zero when
// Faults.Defer or Faults.AcsReject are set.
func (o Options) Validate() error {
	if err := o.Faults.Validate(); err != nil {
		return err
	}
	if o.PropagationDelay < 0 {
		return fmt.Errorf("propagation delay %v must not be negative", o.PropagationDelay)
	}
	if o.PropagationDelay == 0 {
		var set []string
		if len(o.Faults.Defer) > 0 {
			set = append(set, "Defer")
		}
		if len(o.Faults.AcsReject) > 0 {
			set = append(set, "AcsReject")
		}
		if len(set) > 0 {
			return fmt.Errorf("faults: %s: %w (they act on a change still on its way when the delay passes)", strings.Join(set, " and "), ErrNeedsPropagationDelay)
		}
	}
	return nil
}

// ScriptedFailure makes membership changes of one ACS user, one access group
// or one email address fail with a chosen status and Seam error type. Exactly
// one of AcsUserID, AccessGroupID and Email must be set.
type ScriptedFailure struct {
	// AcsUserID matches changes of this ACS user.
	AcsUserID string
	// AccessGroupID matches changes of this access group.
	AccessGroupID string
	// Email matches changes of an ACS user (or user identity) with this email
	// address, compared without regard to case.
	Email string
	// Status is the HTTP status to answer (400 to 599).
	Status int
	// Type is the Seam error type; empty means the usual type for Status
	// (400 invalid_input, 401 unauthorized, 404 acs_user_not_found or
	// acs_access_group_not_found, 429 rate_limited, 5xx internal_server_error
	// or service_unavailable).
	Type string
	// Message is the error message; empty means a message naming the failure.
	Message string
	// Times is how many matching changes fail before the next ones succeed;
	// 0 means every one fails.
	Times int
}

// ParseScriptedFailure parses the command-line form of a scripted failure:
//
//	KIND=VALUE:STATUS[:TYPE[:TIMES]]
//
// KIND is user (an acs_user_id), group (an acs_access_group_id) or email.
// TYPE may be empty to take the default for STATUS; TIMES 0 or absent means
// always. Examples: "user=acs_user_12:400:invalid_input",
// "group=9b0c...:500::2", "email=ann.lee@harbortower.example:404".
func ParseScriptedFailure(s string) (ScriptedFailure, error) {
	var f ScriptedFailure
	kind, rest, ok := strings.Cut(s, "=")
	if !ok {
		return f, fmt.Errorf("scripted failure %q: want KIND=VALUE:STATUS[:TYPE[:TIMES]]", s)
	}
	fields := strings.Split(rest, ":")
	if len(fields) < 2 || len(fields) > 4 {
		return f, fmt.Errorf("scripted failure %q: want KIND=VALUE:STATUS[:TYPE[:TIMES]]", s)
	}
	value := fields[0]
	if value == "" {
		return f, fmt.Errorf("scripted failure %q: empty %s", s, kind)
	}
	switch kind {
	case "user":
		f.AcsUserID = value
	case "group":
		f.AccessGroupID = value
	case "email":
		f.Email = value
	default:
		return f, fmt.Errorf("scripted failure %q: kind %q is not user, group or email", s, kind)
	}
	status, err := strconv.Atoi(fields[1])
	if err != nil || status < 400 || status > 599 {
		return f, fmt.Errorf("scripted failure %q: status %q is not a number from 400 to 599", s, fields[1])
	}
	f.Status = status
	if len(fields) > 2 {
		f.Type = fields[2]
	}
	if len(fields) > 3 {
		n, err := strconv.Atoi(fields[3])
		if err != nil || n < 0 {
			return f, fmt.Errorf("scripted failure %q: times %q is not a number from 0 up", s, fields[3])
		}
		f.Times = n
	}
	return f, nil
}

// String returns the failure in the form ParseScriptedFailure reads.
func (f ScriptedFailure) String() string {
	kind, value := "user", f.AcsUserID
	switch {
	case f.AccessGroupID != "":
		kind, value = "group", f.AccessGroupID
	case f.Email != "":
		kind, value = "email", f.Email
	}
	s := fmt.Sprintf("%s=%s:%d", kind, value, f.Status)
	if f.Type != "" || f.Times != 0 {
		s += ":" + f.Type
	}
	if f.Times != 0 {
		s += ":" + strconv.Itoa(f.Times)
	}
	return s
}

// Validate checks that the faults make sense.
func (f Faults) Validate() error {
	switch {
	case f.Latency < 0 || f.Jitter < 0:
		return fmt.Errorf("faults: latency and jitter must not be negative")
	case f.RateLimit < 0 || math.IsNaN(f.RateLimit) || math.IsInf(f.RateLimit, 0):
		return fmt.Errorf("faults: rate limit %v must be a finite number from 0 up", f.RateLimit)
	case f.RateBurst < 0:
		return fmt.Errorf("faults: rate burst %d must not be negative", f.RateBurst)
	case !(f.ErrorRate >= 0 && f.ErrorRate <= 1):
		return fmt.Errorf("faults: error rate %v must be between 0 and 1", f.ErrorRate)
	case !(f.DropRate >= 0 && f.DropRate <= 1):
		return fmt.Errorf("faults: drop rate %v must be between 0 and 1", f.DropRate)
	}
	for i, sf := range f.Scripted {
		n := 0
		for _, v := range []string{sf.AcsUserID, sf.AccessGroupID, sf.Email} {
			if v != "" {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("faults: scripted[%d]: set exactly one of AcsUserID, AccessGroupID, Email", i)
		}
		if sf.Status < 400 || sf.Status > 599 {
			return fmt.Errorf("faults: scripted[%d]: status %d is not from 400 to 599", i, sf.Status)
		}
		if sf.Times < 0 {
			return fmt.Errorf("faults: scripted[%d]: times %d is negative", i, sf.Times)
		}
	}
	for _, l := range []struct {
		name string
		list []Target
	}{{"defer", f.Defer}, {"acs_reject", f.AcsReject}} {
		for i, t := range l.list {
			if (t.AcsUserID == "") == (t.AccessGroupID == "") {
				return fmt.Errorf("faults: %s[%d]: set exactly one of AcsUserID, AccessGroupID", l.name, i)
			}
		}
	}
	return nil
}

// newLimiter returns the limiter for the faults, or nil when unlimited.
func (f Faults) newLimiter() *rate.Limiter {
	if f.RateLimit <= 0 {
		return nil
	}
	burst := f.RateBurst
	if burst == 0 {
		burst = max(1, int(f.RateLimit))
	}
	return rate.NewLimiter(rate.Limit(f.RateLimit), burst)
}

// retryAfter is the number of whole seconds (at least 1) until the limiter
// has a token again.
func retryAfter(lim *rate.Limiter, now time.Time) int {
	missing := 1 - lim.TokensAt(now)
	secs := int(math.Ceil(missing / float64(lim.Limit())))
	return max(1, secs)
}

// defaultErrorType is the Seam error type a scripted failure uses when none is given.
func defaultErrorType(status int, group bool) string {
	switch {
	case status == http.StatusUnauthorized:
		return "unauthorized"
	case status == http.StatusNotFound && group:
		return "acs_access_group_not_found"
	case status == http.StatusNotFound:
		return "acs_user_not_found"
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status == http.StatusServiceUnavailable:
		return "service_unavailable"
	case status >= 500:
		return "internal_server_error"
	default:
		return "invalid_input"
	}
}
