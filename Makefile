# tenohira — the two commands a newcomer needs are `make demo` and `make test`.

SHELL := /bin/bash
CARGO ?= cargo
PG_URL ?= postgres://postgres@127.0.0.1:5432
DEMO_DB ?= tenohira_demo
DEMO_PORT ?= 8080

.PHONY: demo test services build lint fmt schema test-rust clean-test-dbs

## Build everything and start the whole system in the sandbox with demo data.
demo: services build
	@psql "$(PG_URL)/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$(DEMO_DB)'" | grep -q 1 \
	  || psql "$(PG_URL)/postgres" -qc "CREATE DATABASE $(DEMO_DB)"
	DATABASE_URL="$(PG_URL)/$(DEMO_DB)" \
	REDIS_URL="redis://127.0.0.1:6379" \
	TENOHIRA_ENV=development \
	TENOHIRA_LISTEN="127.0.0.1:$(DEMO_PORT)" \
	TENOHIRA_PUBLIC_URL="http://127.0.0.1:$(DEMO_PORT)" \
	TENOHIRA_SESSION_SECRET="demo-session-secret-not-for-production-0123456789" \
	TENOHIRA_REDIS_PREFIX="tenohira-demo:" \
	TENOHIRA_LOG_FORMAT=pretty \
	./target/debug/tenohira demo

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
	$(CARGO) test --workspace

fmt:
	$(CARGO) fmt --all

## Rewrite schema.graphql from the code.
schema:
	$(CARGO) run -q -p tenohira -- print-schema
