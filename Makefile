# tenohira — the two commands a newcomer needs are `make demo` and `make test`.

SHELL := /bin/bash
CARGO ?= cargo

.PHONY: demo test services build lint fmt schema test-rust bench-line-fake bench-webhook

## Build everything and start the whole system in the LINE sandbox with demo data.
demo: services build
	./scripts/demo.sh

## Every test: formatting, lints, unit and integration tests.
test: services lint test-rust

services:
	@./scripts/services.sh

build:
	$(CARGO) build --workspace

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust:
	$(CARGO) build -p line-fake
	$(CARGO) test --workspace

fmt:
	$(CARGO) fmt --all

## Rewrite schema.graphql from the code.
schema:
	$(CARGO) run -q -p tenohira -- print-schema

## Benchmarks (not in CI; release builds; each prints its figures).
bench-line-fake: services
	$(CARGO) build --release -p line-fake
	$(CARGO) build --release -p tenohira-tests --bin bench
	./target/release/bench line-fake

bench-webhook: services
	$(CARGO) build --release -p line-fake
	$(CARGO) build --release -p tenohira-tests --bin bench
	./target/release/bench webhook
