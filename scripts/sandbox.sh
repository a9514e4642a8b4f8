#!/usr/bin/env bash
# Plays a resident in the LINE sandbox of `make demo`.
#   scripts/sandbox.sh follow            a new resident follows the account; prints the welcome message
#   scripts/sandbox.sh unfollow USER     the resident blocks the account
#   scripts/sandbox.sh say USER TEXT     the resident sends a text message
#   scripts/sandbox.sh inbox USER        what the resident received
#   scripts/sandbox.sh token USER        a LIFF ID token for the resident (for /liff/graphql)
set -euo pipefail
FAKE=${FAKE:-http://127.0.0.1:8090}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

case "${1:-}" in
  follow)
    user=$(curl -sf -XPOST "$FAKE/_fake/users" -H 'content-type: application/json' -d '{"displayName":"埼玉 花子"}' | json 'd["userId"]')
    curl -sf -XPOST "$FAKE/_fake/users/$user/follow" -H 'content-type: application/json' -d '{}' >/dev/null
    echo "resident $user followed the account"
    for _ in $(seq 1 50); do
      msgs=$(curl -sf "$FAKE/_fake/users/$user/inbox" | json 'len(d["messages"])')
      [ "$msgs" != "0" ] && break
      sleep 0.2
    done
    curl -sf "$FAKE/_fake/users/$user/inbox" | json '"\n".join("received: " + m["text"] for x in d["messages"] for m in x["messages"] if m["type"] == "text")'
    ;;
  unfollow) curl -sf -XPOST "$FAKE/_fake/users/$2/unfollow" -H 'content-type: application/json' -d '{}'; echo ;;
  say) curl -sf -XPOST "$FAKE/_fake/users/$2/message" -H 'content-type: application/json' -d "$(python3 -c 'import json,sys; print(json.dumps({"text": sys.argv[1]}))' "$3")"; echo ;;
  inbox) curl -sf "$FAKE/_fake/users/$2/inbox"; echo ;;
  token) curl -sf -XPOST "$FAKE/_fake/id-token" -H 'content-type: application/json' -d "{\"userId\":\"$2\"}" | json 'd["idToken"]' ;;
  *) sed -n '2,8p' "$0"; exit 1 ;;
esac
