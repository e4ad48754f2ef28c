package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// params are a request's parameters: the query string, overlaid for
// POST/PUT/DELETE by the JSON body's fields. Accessors record validation
// errors in Seam's (zod's) shape; failure turns them into one invalid_input.
type params struct {
	m    map[string]any
	verr map[string]string
}

// parseParams reads the query and, unless the method is GET, the JSON body.
func parseParams(r *http.Request, body []byte) (*params, *apiError) {
	p := &params{m: map[string]any{}, verr: map[string]string{}}
	for k, vs := range r.URL.Query() {
		name, isArray := strings.CutSuffix(k, "[]")
		if isArray || len(vs) > 1 {
			list := make([]any, len(vs))
			for i, v := range vs {
				list[i] = v
			}
			p.m[name] = list
		} else {
			p.m[name] = vs[0]
		}
	}
	if r.Method == http.MethodGet || len(bytes.TrimSpace(body)) == 0 {
		return p, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil || dec.More() {
		msg := "the request body is not a JSON object"
		if err != nil {
			msg = fmt.Sprintf("the request body is not valid JSON: %v", err)
		}
		return nil, &apiError{status: http.StatusBadRequest, typ: "invalid_input", message: msg,
			validation: map[string]any{"_errors": []string{msg}}}
	}
	for k, v := range obj {
		p.m[k] = v
	}
	return p, nil
}

func (p *params) invalid(name, msg string) {
	if _, ok := p.verr[name]; !ok {
		p.verr[name] = msg
	}
}

// str returns a string parameter; "" and null count as absent.
func (p *params) str(name string) string {
	v, ok := p.m[name]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.invalid(name, fmt.Sprintf("Expected string, received %s", jsonKind(v)))
		return ""
	}
	return s
}

// required returns a string parameter that must be present.
func (p *params) required(name string) string {
	s := p.str(name)
	if s == "" {
		if _, bad := p.verr[name]; !bad {
			p.invalid(name, "Required")
		}
	}
	return s
}

// strList returns an array of strings; a single string is split on commas.
func (p *params) strList(name string) []string {
	v, ok := p.m[name]
	if !ok || v == nil {
		return nil
	}
	var out []string
	switch x := v.(type) {
	case string:
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				p.invalid(name, fmt.Sprintf("Expected string, received %s", jsonKind(e)))
				return nil
			}
			out = append(out, s)
		}
	default:
		p.invalid(name, fmt.Sprintf("Expected array, received %s", jsonKind(v)))
	}
	return out
}

// positiveInt returns an integer parameter greater than zero, or def.
func (p *params) positiveInt(name string, def int) int {
	v, ok := p.m[name]
	if !ok || v == nil {
		return def
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	default:
		p.invalid(name, fmt.Sprintf("Expected number, received %s", jsonKind(v)))
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		p.invalid(name, "Expected integer")
		return def
	}
	if n <= 0 {
		p.invalid(name, "Number must be greater than 0")
		return def
	}
	return n
}

// timestamp returns an RFC 3339 time parameter, or the zero time.
func (p *params) timestamp(name string) time.Time {
	s := p.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		p.invalid(name, "Invalid datetime")
	}
	return t
}

// failure returns the invalid_input error for the recorded problems, or nil.
func (p *params) failure() *apiError {
	if len(p.verr) == 0 {
		return nil
	}
	names := make([]string, 0, len(p.verr))
	for n := range p.verr {
		names = append(names, n)
	}
	sort.Strings(names)
	v := map[string]any{"_errors": []string{}}
	parts := make([]string, len(names))
	for i, n := range names {
		v[n] = map[string]any{"_errors": []string{p.verr[n]}}
		parts[i] = n + ": " + p.verr[n]
	}
	return &apiError{status: http.StatusBadRequest, typ: "invalid_input",
		message: "Invalid input: " + strings.Join(parts, "; "), validation: v}
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
