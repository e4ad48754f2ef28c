//go:build tools

// Package deps pins the project's chosen dependencies in go.mod while the
// packages that use them are being written. It is never built.
package deps

import (
	_ "github.com/getkin/kin-openapi/openapi3filter"
	_ "github.com/gocarina/gocsv"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/term"
	_ "golang.org/x/time/rate"
)
