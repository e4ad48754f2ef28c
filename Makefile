# acs-bulk: make help lists the targets.
GO ?= go
BIN ?= bin/acs-bulk
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
STATICCHECK_VERSION ?= v0.8.2

.PHONY: help build test lint bench bench-pacing bench-scale demo sandbox fuzz

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/acs-bulk
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/acs-bulk

test: ## run the whole test suite with the race detector (what CI runs)
	$(GO) test -race -count=1 ./...

lint: ## gofmt, go vet, staticcheck, and go.mod tidiness
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	$(GO) mod tidy -diff

bench: ## run the quick benchmarks (parsing, planning, client, sandbox, executor)
	$(GO) test -run '^$$' -bench . -skip 'Pacing|ReadScale|PlanExternal' -benchmem ./...

bench-pacing: ## run the pacing benchmarks through the CLI: the limit x burst x --rate matrix, a client told the limit, long runs, rate-bound and sequential (about 31 minutes)
	$(GO) test -run '^$$' -bench Pacing -benchtime 1x -timeout 60m ./cmd/acs-bulk

bench-scale: ## read and plan a workspace of 200,000 and 1,000,000 memberships (requests; wall and peak RSS beside a minimal client; needs python3)
	$(GO) test -run '^$$' -bench ReadScale -benchtime 2x -benchmem ./internal/live
	bench/planscale.sh 200000 3
	bench/planscale.sh 1000000 3

demo: ## run a whole migration against the built-in sandbox (validate, plan, apply, rerun, in sync)
	$(GO) run ./cmd/acs-bulk demo

sandbox: build ## serve the sample site on 127.0.0.1:8787 for your own experiments (Ctrl-C to stop)
	$(BIN) sandbox --state samples/harbor-site.json

fuzz: ## fuzz the CSV reader for a minute
	$(GO) test -run '^$$' -fuzz FuzzRead -fuzztime 60s ./internal/desired
