// Package sandbox is an in-memory Seam API server for rehearsing access-group
// migrations and for tests. It serves the access-control routes acs-bulk uses
// (systems, access groups, ACS users, user identities), with Seam's
// authentication, error shapes, pagination and membership semantics, and is
// as strict as Seam's route framework (nextlove): parameters are read where
// the OpenAPI document puts them for the method, and unknown, mistyped or
// missing ones are refused as Seam refuses them. It models the asynchronous
// side of membership changes (pending on the user and the group, deferred,
// refused by the access system; see Options.PropagationDelay), holds its
// world in a State that loads from and saves to a JSON file, and can inject
// faults: latency, rate limits, server errors, dropped connections and
// failures scripted for one user or group. Responses validate against Seam's
// OpenAPI document (see internal/contract).
package sandbox

import (
	"bytes"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Options configure a Server. The zero value serves without faults, without
// propagation delay and with the real clock.
type Options struct {
	// Faults are the failures to inject; see Faults.
	Faults Faults
	// PropagationDelay is how long a membership change takes to reach the
	// access system. Until then it shows in the pending_mutations of the ACS
	// user (updating_group_membership, from and to the group) and of the
	// access group (updating_user_membership, from and to the user), or as a
	// deferred change (see Faults.Defer); when it has passed, the change is
	// done or, under Faults.AcsReject, refused. 0 means changes complete at
	// once and no mutation is shown. Membership itself (list_users,
	// access_groups/list) changes at once.
	PropagationDelay time.Duration
	// Now is the clock; nil means time.Now. Tests inject a fake clock to move
	// pending mutations and rate limits forward without sleeping.
	Now func() time.Time
	// Seed seeds the random source behind jitter, error and drop rates and
	// new ids, so that a run can be reproduced.
	Seed uint64
	// Logger, when set, gets one line per request (method, path, status,
	// request id, duration). Credentials are never logged.
	Logger *slog.Logger
}

// Server is the sandbox Seam API; it is an http.Handler safe for concurrent use.
type Server struct {
	mu sync.Mutex

	st      *State
	systems map[string]int               // acs_system_id -> index in st.AcsSystems
	groups  map[string]int               // acs_access_group_id -> index
	users   map[string]int               // acs_user_id -> index
	idents  map[string]int               // user_identity_id -> index
	members map[string]map[string]bool   // acs_access_group_id -> set of acs_user_id
	pending map[string][]pendingMutation // acs_user_id -> its creation, while in flight

	inflight   []*change             // membership changes on their way, in order
	changeSeq  int                   // numbers the changes
	userErrors map[string][]acsError // acs_user_id -> errors the access system left

	now     func() time.Time
	delay   time.Duration
	logger  *slog.Logger
	rng     *rand.Rand
	faults  Faults
	left    []int // remaining failures of each scripted failure; -1 = always
	limiter *rate.Limiter
	revoked bool

	reqPrefix string
	reqSeq    uint64
	stats     Stats
	log       []MembershipChange
}

// pendingMutation is a new user's "creating" mutation, shown until the
// propagation delay has passed.
type pendingMutation struct {
	code      string
	message   string
	createdAt time.Time
	until     time.Time
}

// Stats counts the requests a server has answered.
type Stats struct {
	// Requests is the number of requests received.
	Requests int
	// ByRoute counts requests by path; an unknown path counts as "unknown".
	ByRoute map[string]int
	// ByStatus counts requests by the status answered; 0 counts dropped
	// connections and 499 requests whose client went away during the latency.
	ByStatus map[int]int
	// ByRouteStatus counts requests by path, then status.
	ByRouteStatus map[string]map[int]int
}

// MembershipChange is one entry of the membership log: a change that reached
// the state (after authentication, validation and scripted failures).
type MembershipChange struct {
	// Seq numbers the changes from 1.
	Seq int
	// Action is "add" or "remove" for a change a request made, or "revert"
	// when the access system refused an earlier change (Faults.AcsReject)
	// and the membership went back to what it was.
	Action string
	// AccessGroupID is the group changed.
	AccessGroupID string
	// AcsUserID is the user added or removed; empty for a removal by user
	// identity when the identity has no user in the group's system.
	AcsUserID string
	// Changed is false when the change was a no-op (adding a member or
	// removing a non-member).
	Changed bool
	// UserAction is "created" or "linked" when an add by user_identity_id
	// created an ACS user or linked one to the identity, else empty.
	UserAction string
	// RequestID is the seam-request-id of the request that made the change
	// (for a revert, of the request whose change was refused).
	RequestID string
	// At is the server clock's time of the change.
	At time.Time
}

// New returns a server over a deep copy of st (the caller's State is not
// changed). When st has no API key, New generates one: see APIKeys. When st
// has no workspace id, New generates one: see WorkspaceID. New panics if
// st does not pass the checks of ParseState or opts does not pass
// Options.Validate; states from LoadState and ParseState always pass.
func New(st *State, opts Options) *Server {
	if err := opts.Validate(); err != nil {
		panic(fmt.Sprintf("sandbox.New: %v", err))
	}
	st = st.clone()
	if err := st.normalize(); err != nil {
		panic(fmt.Sprintf("sandbox.New: state: %v", err))
	}
	if len(st.APIKeys) == 0 {
		st.APIKeys = []string{NewAPIKey()}
	}
	if st.WorkspaceID == "" {
		st.WorkspaceID = randomUUID()
	}
	s := &Server{
		st:      st,
		systems: map[string]int{},
		groups:  map[string]int{},
		users:   map[string]int{},
		idents:  map[string]int{},
		members: map[string]map[string]bool{},
		pending: map[string][]pendingMutation{},

		userErrors: map[string][]acsError{},
		now:        opts.Now,
		delay:      opts.PropagationDelay,
		logger:     opts.Logger,
		rng:        rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5eed5eed5eed5eed)),
	}
	if s.now == nil {
		s.now = time.Now
	}
	for i, x := range st.AcsSystems {
		s.systems[x.AcsSystemID] = i
	}
	for i, x := range st.AcsAccessGroups {
		s.groups[x.AcsAccessGroupID] = i
		s.members[x.AcsAccessGroupID] = map[string]bool{}
	}
	for i, x := range st.AcsUsers {
		s.users[x.AcsUserID] = i
	}
	for i, x := range st.UserIdentities {
		s.idents[x.UserIdentityID] = i
	}
	for _, m := range st.Memberships {
		s.members[m.AcsAccessGroupID][m.AcsUserID] = true
	}
	st.Memberships = nil // s.members is the truth while serving
	s.reqPrefix = fmt.Sprintf("req_%08x", s.rng.Uint32())
	s.stats = Stats{ByRoute: map[string]int{}, ByStatus: map[int]int{}, ByRouteStatus: map[string]map[int]int{}}
	s.setFaultsLocked(opts.Faults)
	return s
}

// APIKeys returns the API keys the server accepts (including one New generated).
func (s *Server) APIKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.APIKeys)
}

// WorkspaceID returns the workspace id personal access tokens must name in
// the Seam-Workspace header.
func (s *Server) WorkspaceID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.WorkspaceID
}

// SetFaults replaces the injected faults while the server runs, e.g. to lift
// them before a rerun. Scripted failure counts and the rate limiter start
// afresh. Changes already in flight keep the Defer and AcsReject they were
// made under.
func (s *Server) SetFaults(f Faults) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := (Options{Faults: f, PropagationDelay: s.delay}).Validate(); err != nil {
		return err
	}
	s.setFaultsLocked(f)
	return nil
}

func (s *Server) setFaultsLocked(f Faults) {
	f.Scripted = slices.Clone(f.Scripted)
	f.Defer = slices.Clone(f.Defer)
	f.AcsReject = slices.Clone(f.AcsReject)
	s.faults = f
	s.left = make([]int, len(f.Scripted))
	for i, sf := range f.Scripted {
		s.left[i] = sf.Times
		if sf.Times == 0 {
			s.left[i] = -1
		}
	}
	s.limiter = f.newLimiter()
}

// Faults returns the faults in force.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	f.Scripted = slices.Clone(f.Scripted)
	f.Defer = slices.Clone(f.Defer)
	f.AcsReject = slices.Clone(f.AcsReject)
	return f
}

// RevokeAPIKeys makes every later request fail with 401 unauthorized, whatever
// credentials it carries, as when a key is revoked in the middle of a run.
func (s *Server) RevokeAPIKeys() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
}

// Stats returns a copy of the request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Stats{Requests: s.stats.Requests, ByRoute: map[string]int{}, ByStatus: map[int]int{}, ByRouteStatus: map[string]map[int]int{}}
	for k, v := range s.stats.ByRoute {
		c.ByRoute[k] = v
	}
	for k, v := range s.stats.ByStatus {
		c.ByStatus[k] = v
	}
	for k, m := range s.stats.ByRouteStatus {
		c.ByRouteStatus[k] = map[int]int{}
		for st, n := range m {
			c.ByRouteStatus[k][st] = n
		}
	}
	return c
}

// MembershipLog returns every membership change made so far, in order,
// as of the server's clock.
func (s *Server) MembershipLog() []MembershipChange {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	return slices.Clone(s.log)
}

// Memberships returns the current memberships (as of the server's clock)
// sorted by group id, then user id.
func (s *Server) Memberships() []Membership {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	return s.membershipsLocked()
}

func (s *Server) membershipsLocked() []Membership {
	var out []Membership
	for g, set := range s.members {
		for u := range set {
			out = append(out, Membership{AcsAccessGroupID: g, AcsUserID: u})
		}
	}
	slices.SortFunc(out, func(a, b Membership) int {
		if c := strings.Compare(a.AcsAccessGroupID, b.AcsAccessGroupID); c != 0 {
			return c
		}
		return strings.Compare(a.AcsUserID, b.AcsUserID)
	})
	if out == nil {
		out = []Membership{}
	}
	return out
}

// State returns a deep copy of the current state (as of the server's
// clock), ready to Save. Pending mutations and the errors the access system
// left are not part of it: they are transient.
func (s *Server) State() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	c := s.st.clone()
	c.Memberships = s.membershipsLocked()
	c.deriveIdentityUsers()
	return c
}

// route is one path the server answers.
type route struct {
	path    string
	methods []string
	params  []param // what every method of the route accepts
	mutates bool    // makes membership changes
	handle  func(s *Server, c *call) (any, *apiError)
}

// param returns the route's parameter of that name, or nil.
func (rt *route) param(name string) *param {
	for i := range rt.params {
		if rt.params[i].name == name {
			return &rt.params[i]
		}
	}
	return nil
}

var (
	readMethods   = []string{http.MethodGet, http.MethodPost}
	addMethods    = []string{http.MethodPost, http.MethodPut}
	removeMethods = []string{http.MethodPost, http.MethodDelete}
)

// Parameter lists, as Seam's OpenAPI document gives them (a test holds them
// to the document).
func optional(name string) param      { return param{name: name} }
func searchParam() param              { return param{name: "search", nonEmpty: true} }
func required(name string) param      { return param{name: name, required: true} }
func typed(name string, k kind) param { return param{name: name, kind: k} }

// routes lists every path the sandbox serves.
var routes = map[string]*route{}

func init() {
	membership := []param{required("acs_access_group_id"), optional("acs_user_id"), optional("user_identity_id")}
	paging := []param{typed("limit", kPosInt), typed("created_before", kTime), typed("page_cursor", kNullable)}
	for _, r := range []*route{
		{path: "/acs/systems/list", methods: readMethods, handle: (*Server).systemsList,
			params: []param{optional("customer_key"), optional("connected_account_id"), searchParam()}},
		{path: "/acs/systems/get", methods: readMethods, handle: (*Server).systemsGet,
			params: []param{required("acs_system_id")}},
		{path: "/acs/access_groups/list", methods: readMethods, handle: (*Server).groupsList,
			params: []param{optional("acs_system_id"), optional("acs_user_id"), optional("user_identity_id"), searchParam()}},
		{path: "/acs/access_groups/get", methods: readMethods, handle: (*Server).groupsGet,
			params: []param{required("acs_access_group_id")}},
		{path: "/acs/access_groups/list_users", methods: readMethods, handle: (*Server).groupsListUsers,
			params: []param{required("acs_access_group_id")}},
		{path: "/acs/access_groups/add_user", methods: addMethods, mutates: true, handle: (*Server).groupsAddUser,
			params: membership},
		{path: "/acs/access_groups/remove_user", methods: removeMethods, mutates: true, handle: (*Server).groupsRemoveUser,
			params: membership},
		{path: "/acs/access_groups/unmanaged/list", methods: readMethods, handle: (*Server).unmanagedList,
			params: []param{optional("acs_system_id"), optional("acs_user_id"), searchParam()}},
		{path: "/acs/access_groups/unmanaged/get", methods: readMethods, handle: (*Server).unmanagedGet,
			params: []param{required("acs_access_group_id")}},
		{path: "/acs/users/add_to_access_group", methods: addMethods, mutates: true, handle: (*Server).usersAddToGroup,
			params: []param{required("acs_access_group_id"), required("acs_user_id")}},
		{path: "/acs/users/remove_from_access_group", methods: removeMethods, mutates: true, handle: (*Server).usersRemoveFromGroup,
			params: membership},
		{path: "/acs/users/list", methods: readMethods, handle: (*Server).usersList,
			params: append([]param{optional("acs_system_id"), optional("user_identity_id"), optional("user_identity_email_address"),
				optional("user_identity_phone_number"), searchParam()}, paging...)},
		{path: "/acs/users/get", methods: readMethods, handle: (*Server).usersGet,
			params: []param{optional("acs_user_id"), optional("user_identity_id"), optional("acs_system_id")}},
		{path: "/acs/users/create", methods: []string{http.MethodPost}, mutates: true, handle: (*Server).usersCreate,
			params: []param{required("acs_system_id"), required("full_name"), optional("email_address"), optional("email"), optional("phone_number"),
				optional("user_identity_id"), typed("acs_access_group_ids", kStrings), typed("access_schedule", kSchedule)}},
		{path: "/user_identities/list", methods: readMethods, handle: (*Server).identitiesList,
			params: append([]param{typed("user_identity_ids", kStrings), optional("search"), optional("credential_manager_acs_system_id")}, paging...)},
		// The document gives GET /user_identities/get no parameters (its
		// generator cannot write the POST body's oneOf as query
		// parameters); the sandbox reads the same two on GET.
		{path: "/user_identities/get", methods: readMethods, handle: (*Server).identitiesGet,
			params: []param{optional("user_identity_id"), optional("user_identity_key")}},
	} {
		routes[r.path] = r
	}
}

// Routes returns the paths the sandbox serves, sorted.
func Routes() []string { return sortedKeys(routes) }

// call is one request being handled.
type call struct {
	r         *http.Request
	requestID string
	now       time.Time
	p         *params
	header    http.Header // extra response headers set by a handler
}

// apiError is a Seam error response.
type apiError struct {
	status     int
	typ        string
	message    string
	validation map[string]any
	emptyBody  bool
}

func (e *apiError) body() any {
	inner := map[string]any{"type": e.typ, "message": e.message}
	if e.validation != nil {
		inner["validation_errors"] = e.validation
	}
	return map[string]any{"error": inner, "ok": false}
}

func errorf(status int, typ, format string, args ...any) *apiError {
	return &apiError{status: status, typ: typ, message: fmt.Sprintf(format, args...)}
}

// maxBody bounds request bodies.
const maxBody = 1 << 20

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// faultPlan is what the injected faults decided for one request.
type faultPlan struct {
	delay      time.Duration
	limited    bool
	retryAfter int
	drop       bool
	err        *apiError
}

// planFaults draws the faults of one request, in a fixed order so that a seed
// reproduces a run.
func (s *Server) planFaults(now time.Time) faultPlan {
	f := &s.faults
	var p faultPlan
	p.delay = f.Latency
	if f.Jitter > 0 {
		p.delay += time.Duration(s.rng.Int64N(int64(f.Jitter) + 1))
	}
	if s.limiter != nil && !s.limiter.AllowN(now, 1) {
		p.limited = true
		p.retryAfter = retryAfter(s.limiter, now)
	}
	if f.DropRate > 0 && s.rng.Float64() < f.DropRate {
		p.drop = true
	}
	if f.ErrorRate > 0 && s.rng.Float64() < f.ErrorRate {
		switch s.rng.IntN(4) {
		case 0, 1:
			p.err = errorf(http.StatusInternalServerError, "internal_server_error", "Internal server error (injected by the sandbox)")
		case 2:
			p.err = errorf(http.StatusServiceUnavailable, "service_unavailable", "Service unavailable (injected by the sandbox)")
		default:
			p.err = &apiError{status: http.StatusServiceUnavailable, emptyBody: true}
		}
	}
	return p
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.mu.Lock()
	s.reqSeq++
	requestID := fmt.Sprintf("%s%06d", s.reqPrefix, s.reqSeq)
	rt := routes[r.URL.Path]
	var plan faultPlan
	after := false
	if rt != nil && slices.Contains(rt.methods, r.Method) {
		plan = s.planFaults(s.now())
		after = s.faults.FailAfterCommit && rt.mutates
	}
	s.mu.Unlock()

	w.Header().Set("seam-request-id", requestID)
	sw := &statusWriter{ResponseWriter: w}
	routeKey := "unknown"
	if rt != nil {
		routeKey = r.URL.Path
	}
	status := -1 // -1: take what was written
	defer func() {
		if status < 0 {
			status = sw.status
		}
		s.count(routeKey, status)
		if s.logger != nil {
			s.logger.Info("sandbox request", "method", r.Method, "path", r.URL.Path, "status", status,
				"request_id", requestID, "duration", time.Since(start))
		}
	}()
	dropNow := func() {
		status = 0
		drop(w) // may panic with http.ErrAbortHandler; the deferred count still runs
	}

	if rt == nil {
		sw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		sw.WriteHeader(http.StatusNotFound)
		io.WriteString(sw, "Not Found")
		return
	}
	if !slices.Contains(rt.methods, r.Method) {
		// Seam's route framework authenticates before it checks the method.
		s.mu.Lock()
		e := s.authenticate(r)
		s.mu.Unlock()
		if e != nil {
			writeError(sw, e)
			return
		}
		sw.Header().Set("Allow", strings.Join(rt.methods, ", "))
		writeError(sw, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "only %s accepted", strings.Join(rt.methods, ",")))
		return
	}
	if plan.delay > 0 {
		// Read the body first: Go's server notices a client that went away
		// only once the body is consumed, and the wait must end then.
		if r.Body != nil {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		t := time.NewTimer(plan.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			status = 499
			return
		}
	}
	if plan.limited {
		sw.Header().Set("Retry-After", strconv.Itoa(plan.retryAfter))
		writeError(sw, errorf(http.StatusTooManyRequests, "rate_limited", "Too many requests; retry after %d s", plan.retryAfter))
		return
	}
	if plan.drop && !after {
		dropNow()
		return
	}
	if plan.err != nil && !after {
		writeError(sw, plan.err)
		return
	}

	resp, apiErr, extra := s.handle(rt, r, requestID)
	for k, v := range extra {
		sw.Header()[k] = v
	}
	switch {
	case plan.drop:
		dropNow()
	case plan.err != nil:
		writeError(sw, plan.err)
	case apiErr != nil:
		writeError(sw, apiErr)
	default:
		writeJSON(sw, http.StatusOK, resp)
	}
}

// handle authenticates, parses and runs a request under the lock.
func (s *Server) handle(rt *route, r *http.Request, requestID string) (any, *apiError, http.Header) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "invalid_input", "read request body: %v", err), nil
		}
		body = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.authenticate(r); e != nil {
		return nil, e, nil
	}
	now := s.now()
	s.advance(now)
	p, e := parseParams(rt, r, body)
	if e != nil {
		return nil, e, nil
	}
	if e := p.failure(); e != nil {
		return nil, e, nil
	}
	c := &call{r: r, requestID: requestID, now: now, p: p, header: http.Header{}}
	resp, e := rt.handle(s, c)
	return resp, e, c.header
}

// authenticate checks the request's credentials.
func (s *Server) authenticate(r *http.Request) *apiError {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		return errorf(http.StatusUnauthorized, "unauthorized", "Unauthorized: send Authorization: Bearer <API key>")
	}
	if s.revoked {
		return errorf(http.StatusUnauthorized, "unauthorized", "Unauthorized: the API key has been revoked")
	}
	if strings.HasPrefix(token, "seam_at") {
		if !containsSecret(s.st.PersonalAccessTokens, token) {
			return errorf(http.StatusUnauthorized, "unauthorized", "Unauthorized: unknown personal access token")
		}
		ws := r.Header.Get("Seam-Workspace")
		if ws == "" {
			return errorf(http.StatusUnauthorized, "unauthorized", "Unauthorized: a personal access token needs a Seam-Workspace header")
		}
		if ws != s.st.WorkspaceID {
			return errorf(http.StatusUnauthorized, "unauthorized", "Unauthorized: the personal access token has no access to workspace %q", ws)
		}
		return nil
	}
	if !containsSecret(s.st.APIKeys, token) {
		return errorf(http.StatusUnauthorized, "unauthorized", "Unauthorized: unknown API key")
	}
	return nil
}

// containsSecret compares in constant time per candidate.
func containsSecret(list []string, v string) bool {
	found := false
	for _, k := range list {
		if subtle.ConstantTimeCompare([]byte(k), []byte(v)) == 1 {
			found = true
		}
	}
	return found
}

func (s *Server) count(route string, status int) {
	if route == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	s.stats.ByRoute[route]++
	s.stats.ByStatus[status]++
	m := s.stats.ByRouteStatus[route]
	if m == nil {
		m = map[int]int{}
		s.stats.ByRouteStatus[route] = m
	}
	m[status]++
}

// drop closes the connection without answering.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, errorf(http.StatusInternalServerError, "internal_server_error", "encode response: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.emptyBody {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(e.status)
		return
	}
	b, _ := json.Marshal(e.body())
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.status)
	w.Write(b)
}

// newID returns a fresh UUID-shaped id from the seeded source (not unique
// across seeds; checked against the existing ids by the caller).
func (s *Server) newID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], s.rng.Uint64())
	binary.LittleEndian.PutUint64(b[8:], s.rng.Uint64())
	b[6] = b[6]&0x0f | 0x40
	return formatUUID(b[:])
}
