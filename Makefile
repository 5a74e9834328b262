# Ferry's build. `make help` lists the targets.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO ?= go

.PHONY: help build test test/short lint quickstart bench fuzz

help: ## list targets
	@grep -E '^[a-z/]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/ferry
	$(GO) build -ldflags "-X main.Version=$(VERSION)" -o bin/ferry ./cmd/ferry

test: ## run every test with the race detector
	$(GO) test -race -count=1 ./...

test/short: ## run the fast tests only
	$(GO) test -short ./...

lint: ## gofmt, go vet, staticcheck
	test -z "$$(gofmt -l cmd internal)"
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

quickstart: ## run the fraud-detection pipeline end to end
	$(GO) run ./cmd/ferry quickstart

bench: ## run the Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...
