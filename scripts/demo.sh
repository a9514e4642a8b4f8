#!/usr/bin/env bash
# Starts the whole system in the LINE sandbox: line-fake stands in for LINE,
# tenohira serves the API (and, once built, the console and LIFF pages).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DEMO_DB=${DEMO_DB:-tenohira_demo}
PORT=${DEMO_PORT:-8080}
FAKE_PORT=${FAKE_PORT:-8090}
PUBLIC="http://127.0.0.1:${PORT}"
FAKE="http://127.0.0.1:${FAKE_PORT}"

psql "$PG_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DEMO_DB'" | grep -q 1 \
  || psql "$PG_URL/postgres" -qc "CREATE DATABASE $DEMO_DB"

./target/debug/line-fake --listen "127.0.0.1:${FAKE_PORT}" \
  --channel-access-token sandbox-channel-access-token \
  --channel-secret sandbox-channel-secret \
  --login-channel-id 1650000000 \
  --webhook-url "${PUBLIC}/line/webhook" > /tmp/tenohira-line-fake.log 2>&1 &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null || true' EXIT

export DATABASE_URL="$PG_URL/$DEMO_DB"
export REDIS_URL="redis://127.0.0.1:6379"
export TENOHIRA_ENV=development
export TENOHIRA_LISTEN="127.0.0.1:${PORT}"
export TENOHIRA_PUBLIC_URL="$PUBLIC"
export TENOHIRA_SESSION_SECRET="demo-session-secret-not-for-production-0123456789"
export TENOHIRA_REDIS_PREFIX="tenohira-demo:"
export TENOHIRA_LOG_FORMAT=pretty
export TENOHIRA_LINE_API_BASE="$FAKE"
export TENOHIRA_LINE_DATA_API_BASE="$FAKE"
export TENOHIRA_LINE_JWKS_URL="$FAKE/oauth2/v2.1/certs"
export TENOHIRA_LINE_CHANNEL_ACCESS_TOKEN=sandbox-channel-access-token
export TENOHIRA_LINE_CHANNEL_SECRET=sandbox-channel-secret
export TENOHIRA_LINE_LOGIN_CHANNEL_ID=1650000000
# LIFF pages in an ordinary browser log in through line-fake.
export TENOHIRA_SANDBOX_LOGIN_URL="$FAKE/_fake/login"
# LINE fetches delivery media over HTTPS only; line-fake checks the URL and does not fetch it.
export TENOHIRA_MEDIA_PUBLIC_URL="https://media.sandbox.tenohira.invalid"
export TENOHIRA_MEDIA_DIR="${TENOHIRA_MEDIA_DIR:-$PWD/data/media}"
# Alert mails (メール配信ルール): the SMTP listener and its secret address.
export TENOHIRA_SMTP_LISTEN="${TENOHIRA_SMTP_LISTEN:-127.0.0.1:2525}"
export TENOHIRA_MAILIN_TOKEN="${TENOHIRA_MAILIN_TOKEN:-demo-alerts}"
./target/debug/tenohira demo
