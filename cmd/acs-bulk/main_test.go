package main

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the testscript files run the real command line: inside a
// script, "acs-bulk" is this test binary calling run.
func TestMain(m *testing.M) {
	// Tests that need a real process of their own (signals) re-run this
	// binary with ACS_BULK_TEST_MAIN=1: it then is acs-bulk.
	if os.Getenv("ACS_BULK_TEST_MAIN") == "1" {
		main()
	}
	testscript.Main(m, map[string]func(){
		"acs-bulk": func() {
			os.Exit(run(context.Background(), os.Args[1:], systemIO()))
		},
	})
}

// TestScripts runs testdata/script/*.txt. Run with -update to rewrite the
// expected output in them.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		Setup:               scriptSetup,
		Cmds:                scriptCmds(),
		RequireExplicitExec: false,
		UpdateScripts:       *update,
	})
}
