# Ferry's build. `make help` lists the targets.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO ?= go

.PHONY: help build venv test test/short test/pypi test/browser test/temporal test/all lint quickstart bench fuzz

# The Python virtual environment for PyPI clients and reference implementations.
VENV ?= .venv
PYTHON := $(abspath $(VENV))/bin/python3
export FERRY_TEST_PYTHON ?= $(PYTHON)

help: ## list targets
	@grep -E '^[a-z/]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/ferry
	$(GO) build -ldflags "-X main.Version=$(VERSION)" -o bin/ferry ./cmd/ferry

venv: $(VENV)/.installed ## make the Python virtual environment the tests use (.venv)

$(VENV)/.installed: .ci/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r .ci/requirements.txt
	touch $@

test: venv ## run every default test with the race detector (sets up .venv first)
	$(GO) test -race -count=1 ./...

test/pypi: venv ## the suites that drive PyPI clients (SageMaker SDK, boto3, aws CLI, schemathesis)
	$(GO) test -count=1 -tags pypi -run 'PyPI' ./...

test/browser: ## the console's browser tests (Debian's chromium)
	$(GO) test -count=1 -tags browser -run 'Browser' ./...

test/temporal: ## the Temporal engine suites (in-process Temporal server)
	$(GO) test -count=1 -tags temporal -run 'Temporal' ./...

test/all: test test/pypi test/browser test/temporal ## everything CI runs

test/short: ## run the fast tests only
	$(GO) test -short ./...

# The public Go library's packages at the module root (docs/library.md).
LIBRARY := table gbdt tree forest linear shap bias metric

lint: ## gofmt, go vet, staticcheck
	test -z "$$(gofmt -l cmd internal $(LIBRARY))"
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

quickstart: ## run the fraud-detection pipeline end to end
	$(GO) run ./cmd/ferry quickstart

bench: ## run the Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

FUZZTIME ?= 3s
fuzz: ## run every fuzzer for FUZZTIME each (default 3s)
	@for f in $$(grep -rl --include='*_test.go' '^func Fuzz' cmd internal $(LIBRARY) | xargs -n1 dirname | sort -u); do \
		for n in $$(grep -h '^func Fuzz' $$f/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
			echo "fuzz ./$$f $$n"; \
			out=$$($(GO) test -run '^$$' -fuzz "^$$n\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./$$f 2>&1) || { echo "$$out"; exit 1; }; \
		done; \
	done
