#!/usr/bin/env bash
# Plays a resident in the LINE sandbox of `make demo`.
#   scripts/sandbox.sh follow            a new resident follows the account; prints the welcome message
#   scripts/sandbox.sh unfollow USER     the resident blocks the account
#   scripts/sandbox.sh say USER TEXT     the resident sends a text message
#   scripts/sandbox.sh tap USER DATA     the resident taps a button or quick reply (its postback data)
#   scripts/sandbox.sh inbox USER        what the resident received
#   scripts/sandbox.sh phone USER        the address of the resident's LINE screen (rich menu, tappable)
#   scripts/sandbox.sh token USER        a LIFF ID token for the resident (for /liff/graphql)
#   scripts/sandbox.sh alert [TOWN]     the prefecture sends an ISO-2022-JP evacuation alert naming TOWN (川口市) to make demo's SMTP listener
#   scripts/sandbox.sh totp SECRET       the current TOTP code for a staff account's secret (an authenticator app stand-in)
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
  tap) curl -sf -XPOST "$FAKE/_fake/users/$2/postback" -H 'content-type: application/json' -d "$(python3 -c 'import json,sys; print(json.dumps({"data": sys.argv[1]}))' "$3")"; echo ;;
  inbox) curl -sf "$FAKE/_fake/users/$2/inbox"; echo ;;
  phone) echo "$FAKE/_fake/users/$2/phone" ;;
  token) curl -sf -XPOST "$FAKE/_fake/id-token" -H 'content-type: application/json' -d "{\"userId\":\"$2\"}" | json 'd["idToken"]' ;;
  alert) python3 - "${2:-川口市}" "${SMTP:-127.0.0.1:2525}" "${TENOHIRA_MAILIN_TOKEN:-demo-alerts}" <<'PY'
import smtplib, sys
from email.header import Header
from email.mime.text import MIMEText
from email.utils import make_msgid
town, smtp, token = sys.argv[1], sys.argv[2], sys.argv[3]
body = f"{town}は、大雨により土砂災害の危険性が高まっているため、避難指示（警戒レベル４）を発令しました。\n速やかに避難してください。\n\n----------\n埼玉県 危機管理防災部\nさいたま市浦和区高砂3-15-1\n"
msg = MIMEText(body, "plain", "iso-2022-jp")
msg["Subject"] = Header(f"【避難指示】{town}に避難指示を発令", "iso-2022-jp")
msg["From"] = "bousai@pref.example.jp"
msg["To"] = f"alerts+{token}@tenohira.example"
msg["Message-ID"] = make_msgid(domain="pref.example.jp")
host, port = smtp.rsplit(":", 1)
with smtplib.SMTP(host, int(port)) as s:
    s.sendmail("bousai@pref.example.jp", [msg["To"]], msg.as_bytes())
print(f"alert mail about {town} sent to {smtp}; see the console's メール配信ルール")
PY
    ;;
  totp) python3 - "$2" <<'PY'
import base64, hashlib, hmac, struct, sys, time
secret = sys.argv[1].replace(" ", "").upper()
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
    ;;
  *) sed -n '2,10p' "$0"; exit 1 ;;
esac
