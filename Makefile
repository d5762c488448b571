# hybridkit — make help lists the targets.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Pinned tool versions: `make tools` installs them with go install.
BUF_VERSION := v1.75.0
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
GRPC_GATEWAY_VERSION := v2.33.0

GOBIN ?= $(shell go env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)
MODULES := $(shell go list -m -f '{{.Dir}}')

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: tools
tools: ## Install buf and the protoc plugins at pinned versions.
	go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@$(GRPC_GATEWAY_VERSION)
	go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@$(GRPC_GATEWAY_VERSION)

.PHONY: generate
generate: ## Regenerate Go, gRPC, gateway and OpenAPI code from proto/.
	scripts/third-party-protos.sh
	cd proto && buf generate

.PHONY: check-generated
check-generated: generate ## Fail when the committed generated code is stale.
	@if [ -n "$$(git status --porcelain -- proto)" ]; then \
		echo "generated code is stale: run make generate and commit" >&2; git status --porcelain -- proto >&2; git diff --stat -- proto >&2; exit 1; fi

.PHONY: lint
lint: ## buf lint, buf breaking against main, gofmt and go vet.
	scripts/third-party-protos.sh
	cd proto && buf lint
	scripts/buf-breaking.sh main
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: $$out" >&2; exit 1; fi
	for d in $(MODULES); do (cd $$d && go vet ./...); done

.PHONY: test
test: ## Run every module's tests (see README for the services they need).
	for d in $(MODULES); do echo "== $$d"; (cd $$d && go test -count=1 ./...); done

.PHONY: build
build: ## Build hybridkit and the per-service binaries into bin/.
	mkdir -p bin
	go build -o bin/hybridkit ./cmd/hybridkit
	cd services/identity && go build -o ../../bin/identity ./cmd/identity
	cd services/directory && go build -o ../../bin/directory ./cmd/directory
	cd services/tlsanalysis && go build -o ../../bin/tlsanalysis ./cmd/tlsanalysis
	cd gateway && go build -o ../bin/gateway ./cmd/gateway

.PHONY: run
run: ## Run every service and the gateway in one process, on loopback.
	go run ./cmd/hybridkit serve
