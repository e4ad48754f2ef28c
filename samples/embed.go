// Package samples embeds the sample inputs of this folder, so that
// acs-bulk demo runs from any directory, with a binary installed by go install.
package samples

import "embed"

// FS holds the sample CSVs (the sample site itself is sandbox.SampleSite, which
// generates samples/harbor-site.json).
//
//go:embed *.csv
var FS embed.FS
