# remitq — build, test, demo, benchmarks.
GO        ?= go
BIN       := bin
PKGS      := ./...
TEST_TIMEOUT ?= 20m

.PHONY: all build test test-cluster vet demo serve bench fuzz proto deploy-check clean

all: build

build:
	$(GO) build -o $(BIN)/ ./services/...

## vet: go vet and staticcheck (a tool of go.mod: unused code, deprecated
## calls, likely bugs).
vet:
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

## test: every unit and integration test (embedded NATS + private PostgreSQL unless
## DATABASE_URL / NATS_URL point elsewhere).
test: vet
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)
	$(MAKE) deploy-check

## test-cluster: the fault test alone: a 3-node NATS cluster and two of each
## worker as processes, one NATS server and one matcher killed mid-stream
## (make test runs it too).
test-cluster:
	$(GO) test -count=1 -v -run TestClusterSurvivesKills -timeout 20m ./test/cluster/

## demo: build and run the whole pipeline on the embedded default with demo data.
demo: build
	$(BIN)/remitq demo --once

## serve: the demo, then keep serving the API until Ctrl-C.
serve: build
	$(BIN)/remitq demo

## deploy-check: validate deploy/ (Kubernetes, compose, NATS, systemd) with
## the libraries of each format, in the separate module deploy/check.
deploy-check:
	cd deploy/check && $(GO) test -count=1 ./...

## bench: the benchmarks written up in BENCHMARKS.md.
bench:
	./scripts/bench.sh

## fuzz: run every fuzz target for FUZZTIME each (default 3m).
FUZZTIME ?= 3m
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

## proto: regenerate the Go code for proto/*.proto (committed).
proto:
	./scripts/protogen.sh

clean:
	rm -rf $(BIN) .bench .data
