// Package contract checks HTTP requests and responses against Seam's OpenAPI
// document (testdata/openapi-acs.json, a copy of ../shared/seam, from
// @seamapi/types 1.977.0), and error responses against Seam's error envelope.
// Tests wrap the client's transport or the sandbox's handler with it, so that
// both sides of the wire are held to the same contract.
package contract

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

//go:embed testdata/openapi-acs.json
var specJSON []byte

// Spec is a loaded OpenAPI document with a router for its paths.
type Spec struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Load parses the embedded OpenAPI document once and returns it.
func Load() (*Spec, error) {
	loadOnce.Do(func() {
		l := openapi3.NewLoader()
		doc, err := l.LoadFromData(specJSON)
		if err != nil {
			loadErr = fmt.Errorf("load openapi document: %w", err)
			return
		}
		// Match requests whatever host they went to (the sandbox listens on
		// loopback, not connect.getseam.com).
		doc.Servers = nil
		r, err := legacy.NewRouter(doc)
		if err != nil {
			loadErr = fmt.Errorf("openapi router: %w", err)
			return
		}
		loaded = &Spec{doc: doc, router: r}
	})
	return loaded, loadErr
}

// authenticate accepts a request that carries the credentials a scheme asks
// for; whether the key is valid is the server's business, not the contract's.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header
	switch in.SecuritySchemeName {
	case "api_key", "access_token", "pat_without_workspace":
		if strings.HasPrefix(h.Get("Authorization"), "Bearer ") {
			return nil
		}
	case "pat_with_workspace":
		if strings.HasPrefix(h.Get("Authorization"), "Bearer ") && h.Get("Seam-Workspace") != "" {
			return nil
		}
	}
	return fmt.Errorf("security scheme %s not satisfied", in.SecuritySchemeName)
}

func (s *Spec) input(r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	// The router matches on a copy so that the caller's request is untouched.
	rc := r.Clone(r.Context())
	rc.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := s.router.FindRoute(rc)
	if err != nil {
		return nil, fmt.Errorf("%s %s: no such route in the OpenAPI document: %w", r.Method, r.URL.Path, err)
	}
	return &openapi3filter.RequestValidationInput{
		Request:    rc,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: authenticate,
			MultiError:         true,
		},
	}, nil
}

// ValidateRequest checks a request (with its body, already read) against the
// document: route, method, query parameters, JSON body and security.
func (s *Spec) ValidateRequest(r *http.Request, body []byte) error {
	in, err := s.input(r, body)
	if err != nil {
		return err
	}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		return fmt.Errorf("request %s %s: %w", r.Method, r.URL.Path, err)
	}
	return nil
}

// ValidateResponse checks a response to the given request against the
// document. The document describes only 200 bodies (its 400 and 401 have no
// schema, and 404, 405, 429 and 5xx are not listed), so every error response
// is also held to Seam's error envelope (see ValidateErrorBody).
func (s *Spec) ValidateResponse(r *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	if status >= 400 {
		if err := ValidateErrorBody(header, body); err != nil {
			return fmt.Errorf("response %d to %s %s: %w", status, r.Method, r.URL.Path, err)
		}
	}
	in, err := s.input(r, reqBody)
	if err != nil {
		return err
	}
	// Security and the request itself are checked by ValidateRequest.
	in.Options.AuthenticationFunc = openapi3filter.NoopAuthenticationFunc
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{MultiError: true},
	}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
		return fmt.Errorf("response %d to %s %s: %w", status, r.Method, r.URL.Path, err)
	}
	return nil
}

// Transport returns a RoundTripper that sends through base (nil means
// http.DefaultTransport) and reports every request and response that breaks
// the contract to report. Report must be safe for concurrent use.
func (s *Spec) Transport(base http.RoundTripper, report func(error)) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		var body []byte
		if r.Body != nil {
			b, err := io.ReadAll(r.Body)
			r.Body.Close()
			if err != nil {
				return nil, err
			}
			body = b
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		if err := s.ValidateRequest(r, body); err != nil {
			report(err)
		}
		resp, err := base.RoundTrip(r)
		if err != nil {
			return resp, err
		}
		rb, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(rb))
		if rerr != nil {
			// A dropped connection mid-body is the transport's business.
			return resp, nil
		}
		if err := s.ValidateResponse(r, body, resp.StatusCode, resp.Header, rb); err != nil {
			report(err)
		}
		return resp, nil
	})
}

// Middleware wraps a handler so that every request it serves and every
// response it writes are checked, failures going to report.
func (s *Spec) Middleware(h http.Handler, report func(error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if err := s.ValidateResponse(r, body, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			report(err)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// ValidateErrorBody checks an error response's body against the envelope
// Seam's route framework writes: {"error": {"type": "...", "message": "...",
// "validation_errors": {...}?, "data": ...?}, "ok": false}. A body that is
// empty or not JSON passes, as Seam answers some errors that way (a bare 404
// from an unknown route, an empty 503 during an outage); a body that says it
// is JSON must be the envelope.
func ValidateErrorBody(header http.Header, body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if mt != "application/json" {
		return nil
	}
	var env struct {
		Error *struct {
			Type             *string         `json:"type"`
			Message          *string         `json:"message"`
			ValidationErrors json.RawMessage `json:"validation_errors"`
		} `json:"error"`
		OK *bool `json:"ok"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("error body is not Seam's error envelope: %w", err)
	}
	switch {
	case env.Error == nil:
		return errors.New("error body has no \"error\" object")
	case env.Error.Type == nil || *env.Error.Type == "":
		return errors.New("error body has no error.type")
	case env.Error.Message == nil:
		return errors.New("error body has no error.message")
	case env.OK == nil || *env.OK:
		return errors.New("error body lacks \"ok\": false")
	}
	if v := bytes.TrimSpace(env.Error.ValidationErrors); len(v) > 0 && v[0] != '{' {
		return fmt.Errorf("error.validation_errors is not an object: %.80s", v)
	}
	return nil
}

// SchemaProperties returns the property names of a schema of the document's
// components (e.g. "acs_user"), sorted, so that code that mirrors a Seam
// object can be checked against the document.
func (s *Spec) SchemaProperties(name string) ([]string, error) {
	ref := s.doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("no schema %q in the openapi document", name)
	}
	names := make([]string, 0, len(ref.Value.Properties))
	for n := range ref.Value.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// SchemaEnum returns the values a property of a schema of the document's
// components may take (its enum), as strings.
func (s *Spec) SchemaEnum(schema, property string) ([]string, error) {
	ref := s.doc.Components.Schemas[schema]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("no schema %q in the openapi document", schema)
	}
	p := ref.Value.Properties[property]
	if p == nil || p.Value == nil || len(p.Value.Enum) == 0 {
		return nil, fmt.Errorf("schema %q has no enum property %q", schema, property)
	}
	out := make([]string, 0, len(p.Value.Enum))
	for _, v := range p.Value.Enum {
		out = append(out, fmt.Sprint(v))
	}
	return out, nil
}

// Param is one request parameter of an operation of the document.
type Param struct {
	// In is "query" or "body" (a property of the JSON request body).
	In string
	// Required reports whether the operation requires it. Properties of a
	// body's oneOf alternatives are not required.
	Required bool
	// Type and Format are the schema's type ("string", "integer", "array",
	// "object", ...) and format ("date-time", "uuid", ...).
	Type, Format string
	// ItemType is the type of an array's items.
	ItemType string
	// Nullable reports whether null is allowed.
	Nullable bool
	// MinLength is a string's minimum length.
	MinLength uint64
}

// Operation returns the parameters of method on path by name; ok is false
// when the document has no such operation.
func (s *Spec) Operation(method, path string) (params map[string]Param, ok bool) {
	item := s.doc.Paths.Value(path)
	if item == nil {
		return nil, false
	}
	o := item.GetOperation(strings.ToUpper(method))
	if o == nil {
		return nil, false
	}
	params = map[string]Param{}
	describe := func(in string, required bool, ref *openapi3.SchemaRef) Param {
		p := Param{In: in, Required: required}
		if ref == nil || ref.Value == nil {
			return p
		}
		v := ref.Value
		if v.Type != nil && len(*v.Type) > 0 {
			p.Type = (*v.Type)[0]
		}
		p.Format, p.Nullable, p.MinLength = v.Format, v.Nullable, v.MinLength
		if v.Items != nil && v.Items.Value != nil && v.Items.Value.Type != nil && len(*v.Items.Value.Type) > 0 {
			p.ItemType = (*v.Items.Value.Type)[0]
		}
		return p
	}
	for _, p := range o.Parameters {
		if p.Value != nil && p.Value.In == "query" {
			params[p.Value.Name] = describe("query", p.Value.Required, p.Value.Schema)
		}
	}
	if o.RequestBody != nil && o.RequestBody.Value != nil {
		if mt := o.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
			sch := mt.Schema.Value
			for n, ref := range sch.Properties {
				params[n] = describe("body", slices.Contains(sch.Required, n), ref)
			}
			for _, alt := range sch.OneOf {
				if alt.Value == nil {
					continue
				}
				for n, ref := range alt.Value.Properties {
					if _, seen := params[n]; !seen {
						params[n] = describe("body", false, ref)
					}
				}
			}
		}
	}
	return params, true
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
