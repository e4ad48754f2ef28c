// Package seam is acs-bulk's client for the part of Seam's HTTP API that
// manages access control systems: systems, access groups, ACS users and user
// identities.
//
// All pacing and retrying happens here, in one place shared by every
// goroutine that uses a Client: a rate limiter that every attempt passes
// (retries included), Retry-After (the request that got it waits; everyone
// waits when the server means an outage), exponential backoff with full
// jitter, a run-wide retry budget and optional adaptive pacing that finds
// an unknown rate limit. A caller's stop signal ([WithStop]) keeps requests
// still waiting in the client from being sent.
// Callers see whole lists (never page cursors), typed results, and
// *APIError values that say what failed, how often it was tried and which
// Seam request id to quote to support.
package seam

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Environment variables read by New, the same ones Seam's SDKs read.
const (
	EnvAPIKey              = "SEAM_API_KEY"
	EnvPersonalAccessToken = "SEAM_PERSONAL_ACCESS_TOKEN"
	EnvWorkspaceID         = "SEAM_WORKSPACE_ID"
	EnvEndpoint            = "SEAM_ENDPOINT"
)

// DefaultEndpoint is Seam's production API endpoint.
const DefaultEndpoint = "https://connect.getseam.com"

// Defaults used by New for the Options fields left at their zero value.
const (
	DefaultMaxAttempts    = 5
	DefaultBaseBackoff    = 250 * time.Millisecond
	DefaultMaxBackoff     = 20 * time.Second
	DefaultMaxRetryAfter  = 60 * time.Second
	DefaultAttemptTimeout = 30 * time.Second
	DefaultRetryBudget    = 100
	DefaultMinRate        = 0.5
	DefaultUserAgent      = "acs-bulk"
	// maxPageLimit is the largest page size Seam accepts for list routes.
	maxPageLimit = 1000
)

// Options configures a Client. Zero values mean "the default" (see the
// Default constants); explicit fields win over the environment.
//
// Options never prints or marshals its credentials: String, GoString,
// Format, LogValue and MarshalJSON all redact them.
type Options struct {
	// APIKey is a Seam API key (Authorization: Bearer). Empty: read
	// SEAM_API_KEY, unless PersonalAccessToken is set.
	APIKey string
	// PersonalAccessToken is a Seam personal access token; it needs
	// WorkspaceID. Empty: read SEAM_PERSONAL_ACCESS_TOKEN, unless APIKey is set.
	PersonalAccessToken string
	// WorkspaceID is sent as the Seam-Workspace header with a personal access
	// token (ignored with an API key, which belongs to one workspace). Empty:
	// read SEAM_WORKSPACE_ID.
	WorkspaceID string
	// Endpoint is the API base URL. Empty: SEAM_ENDPOINT, else
	// DefaultEndpoint. Plain http:// is refused unless the host is loopback.
	Endpoint string

	// HTTPClient sends the requests. Nil: a client of its own with a clone of
	// http.DefaultTransport. Its Timeout should be zero: AttemptTimeout
	// bounds each attempt.
	HTTPClient *http.Client

	// Rate is the most requests per second the client sends, all goroutines
	// and retries together; 0 means unlimited.
	Rate float64
	// Burst is how many requests may go at once above Rate; 0 means 1.
	// Adaptive pacing sends one at a time after its first 429, and no pause
	// ever refills a burst.
	Burst int
	// Adaptive finds the server's limit instead of charging at Rate: it
	// starts at 10 requests/s (or Rate if lower) and grows while nothing
	// pushes back; a 429 says the limit is near the rate just refused, and
	// the rate drops below that estimate, climbs back, holds, and probes
	// past it now and then (see pacer.go). Never above Rate nor below
	// MinRate. It needs Rate > 0.
	Adaptive bool
	// MinRate is the floor of adaptive pacing; 0 means DefaultMinRate (or
	// Rate if that is lower).
	MinRate float64

	// MaxAttempts bounds the attempts per call, the first included; 0 means
	// DefaultMaxAttempts, 1 disables retries.
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape the full-jitter exponential backoff:
	// attempt n waits a random time in [0, min(MaxBackoff, BaseBackoff*2^(n-1))).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxRetryAfter caps a server's Retry-After; 0 means DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// AttemptTimeout bounds each attempt (sending, waiting, reading the body);
	// 0 means DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// RetryBudget is how many retries of server errors, timeouts and
	// connection failures the whole client may make in a row; each successful
	// response earns back a fifth of a retry. 0 means DefaultRetryBudget, a
	// negative value means unlimited. Retries of 429 do not spend it: pacing
	// answers those.
	RetryBudget int
	// PageLimit is the page size asked of paginated list routes; 0 leaves it
	// to the server (500 on Seam). At most 1000.
	PageLimit int

	// Logger receives one debug line per attempt (method, route, status,
	// request id, attempt, wait); never headers. Nil: no logging.
	Logger *slog.Logger
	// UserAgent is sent as User-Agent; empty means DefaultUserAgent.
	UserAgent string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Rand returns a number in [0, 1) for backoff jitter; nil means
	// math/rand/v2. Must be safe for concurrent use.
	Rand func() float64
}

const redacted = "[redacted]"

// redactedCopy returns o with its credentials replaced by a marker.
func (o Options) redactedCopy() map[string]any {
	mark := func(s string) string {
		if s == "" {
			return ""
		}
		return redacted
	}
	return map[string]any{
		"APIKey":              mark(o.APIKey),
		"PersonalAccessToken": mark(o.PersonalAccessToken),
		"WorkspaceID":         o.WorkspaceID,
		"Endpoint":            o.Endpoint,
		"Rate":                o.Rate,
		"Burst":               o.Burst,
		"Adaptive":            o.Adaptive,
		"MinRate":             o.MinRate,
		"MaxAttempts":         o.MaxAttempts,
		"BaseBackoff":         o.BaseBackoff.String(),
		"MaxBackoff":          o.MaxBackoff.String(),
		"MaxRetryAfter":       o.MaxRetryAfter.String(),
		"AttemptTimeout":      o.AttemptTimeout.String(),
		"RetryBudget":         o.RetryBudget,
		"PageLimit":           o.PageLimit,
		"UserAgent":           o.UserAgent,
	}
}

// String describes the options with credentials redacted.
func (o Options) String() string {
	r := o.redactedCopy()
	return fmt.Sprintf("seam.Options{APIKey:%q PersonalAccessToken:%q WorkspaceID:%q Endpoint:%q Rate:%v Burst:%d Adaptive:%v MaxAttempts:%d}",
		r["APIKey"], r["PersonalAccessToken"], o.WorkspaceID, o.Endpoint, o.Rate, o.Burst, o.Adaptive, o.MaxAttempts)
}

// GoString is String: %#v never shows credentials.
func (o Options) GoString() string { return o.String() }

// Format prints String for every verb, so %v, %+v, %#v and %s all redact.
func (o Options) Format(f fmt.State, _ rune) { fmt.Fprint(f, o.String()) }

// LogValue makes slog print the options with credentials redacted.
func (o Options) LogValue() slog.Value {
	r := o.redactedCopy()
	return slog.GroupValue(
		slog.String("api_key", r["APIKey"].(string)),
		slog.String("personal_access_token", r["PersonalAccessToken"].(string)),
		slog.String("workspace_id", o.WorkspaceID),
		slog.String("endpoint", o.Endpoint),
		slog.Float64("rate", o.Rate),
		slog.Bool("adaptive", o.Adaptive),
	)
}

// MarshalJSON encodes the options with credentials redacted.
func (o Options) MarshalJSON() ([]byte, error) { return json.Marshal(o.redactedCopy()) }

// Client calls Seam's API. It is safe for concurrent use; all goroutines share
// its pacing, pause and retry budget.
type Client struct {
	base        *url.URL
	endpoint    string
	token       string // the API key or personal access token; never printed
	workspaceID string
	userAgent   string
	http        *http.Client

	maxAttempts    int
	baseBackoff    time.Duration
	maxBackoff     time.Duration
	maxRetryAfter  time.Duration
	attemptTimeout time.Duration
	pageLimit      int

	logger *slog.Logger
	rand   func() float64
	pacer  *pacer
}

// New builds a Client from opts and the environment (see Options).
func New(opts Options) (*Client, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	token, workspace, err := credentials(opts, getenv)
	if err != nil {
		return nil, err
	}
	endpoint := opts.Endpoint
	if endpoint == "" {
		endpoint = getenv(EnvEndpoint)
	}
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	base, err := checkEndpoint(endpoint)
	if err != nil {
		return nil, err
	}

	if opts.Rate < 0 || opts.Burst < 0 || opts.MinRate < 0 || opts.MaxAttempts < 0 || opts.PageLimit < 0 ||
		opts.BaseBackoff < 0 || opts.MaxBackoff < 0 || opts.MaxRetryAfter < 0 || opts.AttemptTimeout < 0 {
		return nil, errors.New("seam: negative rate, burst, attempts, page limit or duration in options")
	}
	if opts.Adaptive && opts.Rate == 0 {
		return nil, errors.New("seam: adaptive pacing needs a rate (Options.Rate > 0)")
	}
	if opts.PageLimit > maxPageLimit {
		return nil, fmt.Errorf("seam: page limit %d above %d", opts.PageLimit, maxPageLimit)
	}

	c := &Client{
		base:           base,
		endpoint:       strings.TrimRight(base.String(), "/"),
		token:          token,
		workspaceID:    workspace,
		userAgent:      or(opts.UserAgent, DefaultUserAgent),
		http:           opts.HTTPClient,
		maxAttempts:    orInt(opts.MaxAttempts, DefaultMaxAttempts),
		baseBackoff:    orDur(opts.BaseBackoff, DefaultBaseBackoff),
		maxBackoff:     orDur(opts.MaxBackoff, DefaultMaxBackoff),
		maxRetryAfter:  orDur(opts.MaxRetryAfter, DefaultMaxRetryAfter),
		attemptTimeout: orDur(opts.AttemptTimeout, DefaultAttemptTimeout),
		pageLimit:      opts.PageLimit,
		logger:         opts.Logger,
		rand:           opts.Rand,
	}
	if c.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		// Many workers share one host: keep their connections alive.
		tr.MaxIdleConnsPerHost = 64
		c.http = &http.Client{Transport: tr}
	}
	if c.rand == nil {
		c.rand = rand.Float64
	}
	minRate := opts.MinRate
	if minRate == 0 {
		minRate = DefaultMinRate
	}
	budget := opts.RetryBudget
	if budget == 0 {
		budget = DefaultRetryBudget
	}
	c.pacer = newPacer(pacerConfig{
		rate:     opts.Rate,
		burst:    orInt(opts.Burst, 1),
		adaptive: opts.Adaptive,
		minRate:  minRate,
		budget:   budget,
	})
	return c, nil
}

// credentials picks the bearer token and workspace from opts, else from the
// environment.
func credentials(opts Options, getenv func(string) string) (token, workspace string, err error) {
	key, pat := opts.APIKey, opts.PersonalAccessToken
	keyName, patName := "Options.APIKey", "Options.PersonalAccessToken"
	if key == "" && pat == "" {
		key, pat = getenv(EnvAPIKey), getenv(EnvPersonalAccessToken)
		keyName, patName = EnvAPIKey, EnvPersonalAccessToken
	}
	workspace = opts.WorkspaceID
	if workspace == "" {
		workspace = getenv(EnvWorkspaceID)
	}
	switch {
	case key != "" && pat != "":
		return "", "", fmt.Errorf("seam: both %s and %s are set: use one of them", keyName, patName)
	case key != "":
		if strings.HasPrefix(key, "seam_at") {
			return "", "", fmt.Errorf("seam: %s holds a personal access token: set %s and %s instead", keyName, EnvPersonalAccessToken, EnvWorkspaceID)
		}
		return key, "", nil
	case pat != "":
		if workspace == "" {
			return "", "", fmt.Errorf("seam: a personal access token needs a workspace: set %s to the workspace's id", EnvWorkspaceID)
		}
		return pat, workspace, nil
	}
	return "", "", fmt.Errorf("seam: no credentials: set %s, or %s and %s", EnvAPIKey, EnvPersonalAccessToken, EnvWorkspaceID)
}

// checkEndpoint parses the endpoint and refuses clear-text HTTP to anything
// but loopback, so that a typo never sends a key unencrypted.
func checkEndpoint(endpoint string) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("seam: endpoint %q: %w", endpoint, err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("seam: endpoint %q has no host", endpoint)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("seam: endpoint %q: only scheme, host and path are allowed", u.Redacted())
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("seam: endpoint %q uses plain http to a non-loopback host: use https", endpoint)
		}
	default:
		return nil, fmt.Errorf("seam: endpoint %q: scheme must be https", endpoint)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Endpoint returns the API base URL the client talks to (for reports).
func (c *Client) Endpoint() string { return c.endpoint }

// String describes the client without its credentials. String, GoString,
// Format, LogValue and MarshalJSON have value receivers so that a
// dereferenced Client redacts too.
func (c Client) String() string {
	auth := "api key"
	if c.workspaceID != "" {
		auth = "personal access token, workspace " + c.workspaceID
	}
	return fmt.Sprintf("seam.Client{endpoint: %s, auth: %s %s}", c.endpoint, auth, redacted)
}

// GoString is String: %#v never shows credentials.
func (c Client) GoString() string { return c.String() }

// Format prints String for every verb, so %v, %+v, %#v and %s all redact.
func (c Client) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// LogValue makes slog print the client without its credentials.
func (c Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON encodes the endpoint and workspace only.
func (c Client) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"endpoint": c.endpoint, "workspace_id": c.workspaceID})
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orInt(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

func orDur(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
