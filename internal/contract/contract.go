// Package contract checks HTTP requests and responses against Seam's OpenAPI
// document (testdata/openapi-acs.json, a copy of ../shared/seam). Tests wrap
// the client's transport or the sandbox's handler with it, so that both sides
// of the wire are held to the same contract.
package contract

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

//go:embed testdata/openapi-acs.json
var specJSON []byte

// Undocumented lists real Seam routes that acs-bulk uses but that our copy of
// the OpenAPI document does not describe (Seam documents them separately).
// Transport and Middleware pass them through unchecked; ValidateRequest and
// ValidateResponse still reject them.
var Undocumented = map[string]bool{
	"/acs/access_groups/unmanaged/list": true,
	"/acs/access_groups/unmanaged/get":  true,
}

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
// document. Statuses the document does not list (404, 429, 5xx) pass: Seam
// documents only 200, 400 and 401, and their error bodies have no schema.
func (s *Spec) ValidateResponse(r *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
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
		if Undocumented[r.URL.Path] {
			return base.RoundTrip(r)
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
		if !Undocumented[r.URL.Path] {
			if err := s.ValidateResponse(r, body, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
				report(err)
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
