package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acs-bulk/acs-bulk/internal/contract"
)

const (
	testKey   = "seam_test_key_1"
	testPAT   = "seam_at_test_token_1"
	testWS    = "ws_test"
	sysA      = "sys_harbor"
	sysB      = "sys_riverside"
	grpLobby  = "grp_lobby"
	grpGym    = "grp_gym"
	grpLegacy = "grp_legacy"
	grpGate   = "grp_gate"
	uAnn      = "u_ann"
	uBen      = "u_ben"
	uCarla    = "u_carla"
	uAnnB     = "u_ann_riverside"
	idAnn     = "id_ann"
	idBen     = "id_ben"
	idCarla   = "id_carla"
	idDan     = "id_dan"
)

// testStateJSON is a small world: two systems, one unmanaged group, users
// that an identity can link to by email (Ben) or phone (Carla), and an
// identity with no user anywhere (Dan).
const testStateJSON = `{
  "workspace_id": "ws_test",
  "api_keys": ["seam_test_key_1"],
  "personal_access_tokens": ["seam_at_test_token_1"],
  "acs_systems": [
    {"acs_system_id": "sys_harbor", "name": "Harbor Tower"},
    {"acs_system_id": "sys_riverside", "name": "Riverside Campus", "external_type": "salto_ks_site", "location": {"time_zone": "America/Chicago"}}
  ],
  "acs_access_groups": [
    {"acs_access_group_id": "grp_lobby", "acs_system_id": "sys_harbor", "name": "Lobby"},
    {"acs_access_group_id": "grp_gym", "acs_system_id": "sys_harbor", "name": "Gym"},
    {"acs_access_group_id": "grp_legacy", "acs_system_id": "sys_harbor", "name": "Legacy", "is_managed": false},
    {"acs_access_group_id": "grp_gate", "acs_system_id": "sys_riverside", "name": "Main Gate"}
  ],
  "acs_users": [
    {"acs_user_id": "u_ann", "acs_system_id": "sys_harbor", "full_name": "Ann Lee", "email_address": "ann.lee@harbortower.example", "phone_number": "+12125550100", "user_identity_id": "id_ann"},
    {"acs_user_id": "u_ben", "acs_system_id": "sys_harbor", "full_name": "Ben Garcia", "email_address": "Ben.Garcia@harbortower.example"},
    {"acs_user_id": "u_carla", "acs_system_id": "sys_harbor", "full_name": "Carla Smith", "phone_number": "+12125550199"},
    {"acs_user_id": "u_ann_riverside", "acs_system_id": "sys_riverside", "full_name": "Ann Lee", "email_address": "ann.lee@harbortower.example"}
  ],
  "user_identities": [
    {"user_identity_id": "id_ann", "full_name": "Ann Lee", "email_address": "ann.lee@harbortower.example", "acs_user_ids": ["u_ann_riverside"]},
    {"user_identity_id": "id_ben", "full_name": "Ben Garcia", "email_address": "ben.garcia@harbortower.example", "user_identity_key": "emp-ben"},
    {"user_identity_id": "id_carla", "full_name": "Carla Smith", "email_address": "carla@mail.example", "phone_number": "+1 212 555 0199"},
    {"user_identity_id": "id_dan", "full_name": "Dan Novak", "email_address": "dan.novak@mail.example", "phone_number": "+13125550111"}
  ],
  "memberships": [
    {"acs_access_group_id": "grp_lobby", "acs_user_id": "u_ann"},
    {"acs_access_group_id": "grp_legacy", "acs_user_id": "u_ben"},
    {"acs_access_group_id": "grp_gate", "acs_user_id": "u_ann_riverside"}
  ]
}`

func testState(t testing.TB) *State {
	t.Helper()
	st, err := ParseState([]byte(testStateJSON))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness sends requests straight to a server's handler and checks each
// request and response of a route in the OpenAPI document against it.
type harness struct {
	t     testing.TB
	srv   *Server
	spec  *contract.Spec
	clock *fakeClock
}

func newHarness(t testing.TB, st *State, opts Options) *harness {
	t.Helper()
	spec, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	if st == nil {
		st = testState(t)
	}
	return &harness{t: t, srv: New(st, opts), spec: spec, clock: clock}
}

// req is one request a test sends.
type req struct {
	method, path string
	query        url.Values
	body         string            // raw JSON body
	contentType  string            // "" means application/json when there is a body; "none" sends none
	header       map[string]string // replaces the default Authorization when it sets one
	noAuth       bool
	invalidReq   bool // the request breaks the contract on purpose
}

// resp is what came back.
type resp struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

func (h *harness) do(q req) resp {
	h.t.Helper()
	target := q.path
	if len(q.query) > 0 {
		target += "?" + q.query.Encode()
	}
	r := httptest.NewRequest(q.method, "http://sandbox.test"+target, strings.NewReader(q.body))
	switch {
	case q.contentType == "none":
	case q.contentType != "":
		r.Header.Set("Content-Type", q.contentType)
	case q.body != "":
		r.Header.Set("Content-Type", "application/json")
	}
	if !q.noAuth {
		r.Header.Set("Authorization", "Bearer "+testKey)
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	rt := routes[q.path]
	inContract := rt != nil && contains(rt.methods, q.method)
	if inContract && !q.invalidReq && !q.noAuth {
		if err := h.spec.ValidateRequest(r, []byte(q.body)); err != nil {
			h.t.Errorf("request breaks the contract: %v", err)
		}
	}
	w := httptest.NewRecorder()
	h.srv.ServeHTTP(w, r)
	out := resp{status: w.Code, header: w.Header(), raw: w.Body.Bytes()}
	if inContract {
		vr := httptest.NewRequest(q.method, "http://sandbox.test"+target, strings.NewReader(q.body))
		vr.Header = r.Header.Clone()
		if err := h.spec.ValidateResponse(vr, []byte(q.body), w.Code, w.Header(), w.Body.Bytes()); err != nil {
			h.t.Errorf("response breaks the contract: %v\nbody: %s", err, w.Body.Bytes())
		}
	} else if w.Code >= 400 {
		// A method or route the document lacks: the error is still Seam's envelope (or a bare body).
		if err := contract.ValidateErrorBody(w.Header(), w.Body.Bytes()); err != nil {
			h.t.Errorf("%d to %s %s breaks the error envelope: %v\nbody: %s", w.Code, q.method, q.path, err, w.Body.Bytes())
		}
	}
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(w.Body.Bytes(), &out.json); err != nil {
			h.t.Fatalf("%s %s: response is not JSON: %v: %s", q.method, q.path, err, w.Body.Bytes())
		}
	}
	if w.Header().Get("seam-request-id") == "" {
		h.t.Errorf("%s %s: no seam-request-id header", q.method, q.path)
	}
	return out
}

// call sends params the way the method carries them: query string for GET
// and DELETE, JSON body for POST and PUT.
func (h *harness) call(method, path string, params map[string]any) resp {
	h.t.Helper()
	return h.do(paramReq(method, path, params))
}

func paramReq(method, path string, params map[string]any) req {
	q := req{method: method, path: path}
	switch method {
	case http.MethodGet, http.MethodDelete:
		q.query = url.Values{}
		for k, v := range params {
			switch x := v.(type) {
			case []string:
				for _, s := range x {
					q.query.Add(k, s)
				}
			default:
				q.query.Set(k, fmt.Sprint(x))
			}
		}
	default:
		if params == nil {
			params = map[string]any{}
		}
		b, _ := json.Marshal(params)
		q.body = string(b)
	}
	return q
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// errType returns the error type of an error body, or "".
func (r resp) errType() string {
	e, _ := r.json["error"].(map[string]any)
	s, _ := e["type"].(string)
	return s
}

// ids returns the idField of every object in the array under key.
func (r resp) ids(key, idField string) []string {
	list, _ := r.json[key].([]any)
	out := []string{}
	for _, x := range list {
		m, _ := x.(map[string]any)
		s, _ := m[idField].(string)
		out = append(out, s)
	}
	return out
}

func (r resp) obj(key string) map[string]any {
	m, _ := r.json[key].(map[string]any)
	return m
}

func sorted(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// decodeBody reads a client response body as JSON.
func decodeBody(t testing.TB, r *http.Response) map[string]any {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&m); err != nil {
		t.Fatalf("not JSON: %v: %q", err, b)
	}
	return m
}
