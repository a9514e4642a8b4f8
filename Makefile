# tenohira — the two commands a newcomer needs are `make demo` and `make test`.

SHELL := /bin/bash
CARGO ?= cargo

.PHONY: demo test services build lint fmt schema test-rust test-console test-liff test-e2e console-deps console-build liff-deps liff-build bench-line-fake bench-webhook bench-audience bench-delivery bench-card

## Build everything and start the whole system in the LINE sandbox with demo data.
demo: services build
	./scripts/demo.sh

## Every test: formatting, lints, Rust unit and integration tests, console
## unit tests and the browser tests against the real stack.
test: services lint test-rust test-console test-liff test-e2e

services:
	@./scripts/services.sh

build: console-build liff-build
	$(CARGO) build --workspace

console/node_modules/.package-lock.json: console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	@touch $@

console-deps: console/node_modules/.package-lock.json

console-build: console-deps
	cd console && npm run build

liff/node_modules/.package-lock.json: liff/package-lock.json
	cd liff && npm ci --no-audit --no-fund
	@touch $@

liff-deps: liff/node_modules/.package-lock.json

liff-build: liff-deps
	cd liff && npm run build

test-liff: liff-deps
	cd liff && npm run codegen && npx tsc --noEmit && npx eslint . && npx vitest run

test-console: console-deps
	cd console && npm run codegen && npx tsc --noEmit && npx eslint . && npx vitest run

test-e2e: services console-build liff-build
	./scripts/browser.sh
	$(CARGO) build -p tenohira -p line-fake
	cd console && node e2e/run.mjs

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# An S3-compatible server (moto, from PyPI) for the media-store test.
target/moto-venv/bin/moto_server:
	python3 -m venv target/moto-venv
	target/moto-venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]==5.2.5'

test-rust: target/moto-venv/bin/moto_server
	$(CARGO) build -p line-fake -p tenohira
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

bench-audience: services
	$(CARGO) build --release -p line-fake
	$(CARGO) build --release -p tenohira-tests --bin bench
	./target/release/bench audience

bench-card: services
	$(CARGO) build --release -p line-fake -p tenohira -p tenohira-tests --bin line-fake --bin tenohira --bin bench
	./target/release/bench card

bench-delivery: services
	$(CARGO) build --release -p line-fake -p tenohira -p tenohira-tests --bin line-fake --bin tenohira --bin bench
	./target/release/bench delivery
