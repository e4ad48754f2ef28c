package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// kind is the type of a request parameter, as Seam's schemas give it.
type kind int

const (
	kString   kind = iota // a string; "" counts as absent
	kNullable             // a string or null (null counts as absent)
	kStrings              // an array of strings
	kPosInt               // an integer above zero
	kTime                 // an RFC 3339 date-time string
	kSchedule             // {"starts_at": date-time, "ends_at": date-time or null}
)

// param is one parameter a route accepts. Every method of a route takes the
// same parameters; where they are read from depends on the method (see
// parseParams).
type param struct {
	name     string
	kind     kind
	required bool
	nonEmpty bool // a string of at least one character (the spec's minLength 1)
}

// params are a request's parameters once read and checked against its
// route's list: vals holds string, []string, int, time.Time or *schedule
// values by name. Handlers add their own checks with invalid; failure turns
// the problems into one invalid_input, shaped as Seam's route framework
// (nextlove, with zod) shapes it.
type params struct {
	vals   map[string]any
	given  map[string]bool // names present in the request, valid or not
	issues []issue
}

// issue is one validation problem at a path of the input ("" elements name
// nothing: an issue with an empty path is about the input as a whole).
type issue struct {
	path []string
	msg  string
}

// schedule is an access_schedule parameter.
type schedule struct {
	startsAt time.Time // zero when not given
	endsAt   *time.Time
}

// parseParams reads a request's parameters where Seam's OpenAPI document puts
// them for its method: GET and DELETE from the query string, POST and PUT
// from a JSON body. A parameter sent in the other place is refused, as is a
// name the route does not know, a value of the wrong type and a missing
// required one; every problem is reported at once. A POST or PUT body
// without Content-Type application/json is refused before anything else.
func parseParams(rt *route, r *http.Request, body []byte) (*params, *apiError) {
	p := &params{vals: map[string]any{}, given: map[string]bool{}}
	query := r.URL.Query()
	hasBody := len(bytes.TrimSpace(body)) > 0
	fromBody := r.Method == http.MethodPost || r.Method == http.MethodPut

	if !fromBody {
		if hasBody {
			p.add(nil, fmt.Sprintf("%s requests take their parameters in the query string; the request body is not read", r.Method))
		}
		p.readQuery(rt, query)
		return p, nil
	}

	if hasBody {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/json" {
			return nil, &apiError{status: http.StatusBadRequest, typ: "invalid_content_type",
				message: fmt.Sprintf(`%s requests must have Content-Type header with "application/json"`, r.Method)}
		}
	}
	defer func() { // after the body's own problems, so that "Required" comes first
		for _, k := range sortedKeys(query) {
			p.add([]string{k}, fmt.Sprintf("Sent in the query string; %s requests take their parameters in the JSON body", r.Method))
		}
	}()
	obj := map[string]any{}
	if hasBody {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil || dec.More() {
			msg := "the request body is not valid JSON"
			if err != nil {
				msg = fmt.Sprintf("the request body is not valid JSON: %v", err)
			}
			return nil, &apiError{status: http.StatusBadRequest, typ: "invalid_input", message: msg,
				validation: map[string]any{"_errors": []string{msg}}}
		}
		m, isObj := v.(map[string]any)
		if !isObj {
			p.add(nil, "Expected object, received "+jsonKind(v))
			return p, nil
		}
		obj = m
	}
	p.readBody(rt, obj)
	return p, nil
}

// readQuery reads query parameters: a repeated name, name[] or a
// comma-separated value make an array (the forms nextlove accepts).
func (p *params) readQuery(rt *route, q url.Values) {
	var unknown []string
	seen := map[string]bool{}
	for _, k := range sortedKeys(q) {
		name, brackets := strings.CutSuffix(k, "[]")
		spec := rt.param(name)
		if spec == nil || (brackets && spec.kind != kStrings) {
			unknown = append(unknown, k)
			continue
		}
		vs := q[k]
		p.given[name] = true
		if seen[name] {
			p.add([]string{name}, "Given twice (as "+name+" and "+name+"[])")
			continue
		}
		seen[name] = true
		switch spec.kind {
		case kStrings:
			var list []string
			for _, v := range vs {
				if len(vs) == 1 && v == "" {
					break // name= is the empty array
				}
				if len(vs) == 1 {
					list = append(list, strings.Split(v, ",")...)
				} else {
					list = append(list, v)
				}
			}
			if list == nil {
				list = []string{}
			}
			p.vals[name] = list
		default:
			if len(vs) > 1 {
				p.add([]string{name}, fmt.Sprintf("Expected %s, received array", spec.kind.want()))
				continue
			}
			p.convert(spec, vs[0], true)
		}
	}
	p.unrecognized(unknown)
	p.requireAll(rt)
}

// readBody reads the fields of a JSON body.
func (p *params) readBody(rt *route, obj map[string]any) {
	var unknown []string
	for _, k := range sortedKeys(obj) {
		spec := rt.param(k)
		if spec == nil {
			unknown = append(unknown, k)
			continue
		}
		p.given[k] = true
		p.convert(spec, obj[k], false)
	}
	p.unrecognized(unknown)
	p.requireAll(rt)
}

func (p *params) unrecognized(names []string) {
	if len(names) == 0 {
		return
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + n + "'"
	}
	p.add(nil, "Unrecognized key(s) in object: "+strings.Join(quoted, ", "))
}

// requireAll records every required parameter that is absent ("" counts
// as absent; a value of the wrong type has its own problem).
func (p *params) requireAll(rt *route) {
	for _, sp := range rt.params {
		if _, ok := p.vals[sp.name]; !ok && sp.required && !(p.given[sp.name] && p.has([]string{sp.name})) {
			p.add([]string{sp.name}, "Required")
		}
	}
}

// want names the JSON type a kind expects, as zod's messages do.
func (k kind) want() string {
	switch k {
	case kStrings:
		return "array"
	case kPosInt:
		return "number"
	case kSchedule:
		return "object"
	}
	return "string"
}

// convert checks one value and stores it. fromQuery values are strings that
// may stand for numbers; body values are JSON values.
func (p *params) convert(sp *param, v any, fromQuery bool) {
	path := []string{sp.name}
	if v == nil {
		if sp.kind != kNullable {
			p.add(path, fmt.Sprintf("Expected %s, received null", sp.kind.want()))
		}
		return
	}
	switch sp.kind {
	case kString, kNullable:
		s, ok := v.(string)
		switch {
		case !ok:
			p.add(path, "Expected string, received "+jsonKind(v))
		case s == "" && sp.nonEmpty && !fromQuery:
			p.add(path, "String must contain at least 1 character(s)")
		case s != "":
			p.vals[sp.name] = s
		}
	case kTime:
		s, ok := v.(string)
		if !ok {
			p.add(path, "Expected string, received "+jsonKind(v))
			return
		}
		if s == "" {
			return
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			p.add(path, "Invalid datetime")
			return
		}
		p.vals[sp.name] = t
	case kPosInt:
		var text string
		switch x := v.(type) {
		case json.Number:
			text = x.String()
		case string:
			if !fromQuery {
				p.add(path, "Expected number, received string")
				return
			}
			text = x
		default:
			p.add(path, "Expected number, received "+jsonKind(v))
			return
		}
		f, err := strconv.ParseFloat(text, 64)
		switch {
		case err != nil || math.IsNaN(f):
			p.add(path, "Expected number, received nan")
		case f != math.Trunc(f) || math.IsInf(f, 0):
			p.add(path, "Expected integer, received float")
		case f <= 0:
			p.add(path, "Number must be greater than 0")
		case f > math.MaxInt32:
			p.add(path, fmt.Sprintf("Number must be less than or equal to %d", math.MaxInt32))
		default:
			p.vals[sp.name] = int(f)
		}
	case kStrings:
		list, ok := v.([]any)
		if !ok {
			p.add(path, "Expected array, received "+jsonKind(v))
			return
		}
		out := make([]string, 0, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				p.add([]string{sp.name, strconv.Itoa(i)}, "Expected string, received "+jsonKind(e))
				continue
			}
			out = append(out, s)
		}
		p.vals[sp.name] = out
	case kSchedule:
		m, ok := v.(map[string]any)
		if !ok {
			p.add(path, "Expected object, received "+jsonKind(v))
			return
		}
		var sc schedule
		var extra []string
		for _, k := range sortedKeys(m) {
			at := []string{sp.name, k}
			switch k {
			case "starts_at", "ends_at":
				if m[k] == nil {
					if k == "starts_at" {
						p.add(at, "Expected string, received null")
					}
					continue
				}
				s, ok := m[k].(string)
				if !ok {
					p.add(at, "Expected string, received "+jsonKind(m[k]))
					continue
				}
				t, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					p.add(at, "Invalid datetime")
					continue
				}
				if k == "starts_at" {
					sc.startsAt = t
				} else {
					sc.endsAt = &t
				}
			default:
				extra = append(extra, "'"+k+"'")
			}
		}
		if len(extra) > 0 {
			p.add(path, "Unrecognized key(s) in object: "+strings.Join(extra, ", "))
		}
		p.vals[sp.name] = &sc
	}
}

// add records a problem at path.
func (p *params) add(path []string, msg string) {
	p.issues = append(p.issues, issue{path: path, msg: msg})
}

// has reports whether a problem was recorded at path.
func (p *params) has(path []string) bool {
	return slices.ContainsFunc(p.issues, func(i issue) bool { return slices.Equal(i.path, path) })
}

// invalid records a problem with one parameter, found by a handler.
func (p *params) invalid(name, msg string) {
	p.add([]string{name}, msg)
}

// str returns a string parameter, or "" when absent.
func (p *params) str(name string) string {
	s, _ := p.vals[name].(string)
	return s
}

// required returns a string parameter the route requires (checked when the
// parameters were read).
func (p *params) required(name string) string { return p.str(name) }

// strList returns an array parameter, or nil when absent.
func (p *params) strList(name string) []string {
	l, _ := p.vals[name].([]string)
	return l
}

// positiveInt returns an integer parameter, or def when absent.
func (p *params) positiveInt(name string, def int) int {
	if n, ok := p.vals[name].(int); ok {
		return n
	}
	return def
}

// timestamp returns a date-time parameter, or the zero time.
func (p *params) timestamp(name string) time.Time {
	t, _ := p.vals[name].(time.Time)
	return t
}

// schedule returns an access_schedule parameter, or nil.
func (p *params) schedule(name string) *schedule {
	s, _ := p.vals[name].(*schedule)
	return s
}

// query returns the parameters as a query string, as next_page_url carries them.
func (p *params) query() url.Values {
	q := url.Values{}
	for k, v := range p.vals {
		switch x := v.(type) {
		case string:
			q.Set(k, x)
		case []string:
			for _, s := range x {
				q.Add(k, s)
			}
		case int:
			q.Set(k, strconv.Itoa(x))
		case time.Time:
			q.Set(k, x.UTC().Format(time.RFC3339Nano))
		}
	}
	return q
}

// failure returns the invalid_input error for the recorded problems, or nil.
// The message reads as nextlove writes it ("acs_user_id is required", or "2
// Input Errors: ..."), and validation_errors is zod's format(): an "_errors"
// list at every level, and one key per field with problems.
func (p *params) failure() *apiError {
	if len(p.issues) == 0 {
		return nil
	}
	issues := slices.Clone(p.issues)
	slices.SortStableFunc(issues, func(a, b issue) int {
		return strings.Compare(strings.Join(a.path, "\x00"), strings.Join(b.path, "\x00"))
	})
	root := map[string]any{"_errors": []string{}}
	parts := make([]string, len(issues))
	for i, is := range issues {
		node := root
		for _, seg := range is.path {
			child, ok := node[seg].(map[string]any)
			if !ok {
				child = map[string]any{"_errors": []string{}}
				node[seg] = child
			}
			node = child
		}
		node["_errors"] = append(node["_errors"].([]string), is.msg)
		dotted := strings.Join(is.path, ".")
		switch {
		case dotted == "":
			parts[i] = is.msg
		case is.msg == "Required":
			parts[i] = dotted + " is required"
		default:
			parts[i] = fmt.Sprintf("%s for %q", is.msg, dotted)
		}
	}
	msg := parts[0]
	if len(parts) > 1 {
		msg = fmt.Sprintf("%d Input Errors: %s", len(parts), strings.Join(parts, ", "))
	}
	return &apiError{status: http.StatusBadRequest, typ: "invalid_input", message: msg, validation: root}
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// Page cursors are opaque to clients: base64url of "<list>:<index>", the
// position in creation order of the first item of the next page. Objects are
// never deleted and new ones are appended, so a cursor stays valid and no
// item is skipped or repeated while paging.
func encodeCursor(list string, index int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + ":" + strconv.Itoa(index)))
}

func (p *params) cursor(list string) int {
	s := p.str("page_cursor")
	if s == "" {
		return 0
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(b), list+":"); ok {
			if n, err := strconv.Atoi(rest); err == nil && n >= 0 {
				return n
			}
		}
	}
	p.invalid("page_cursor", "Invalid page cursor")
	return 0
}
