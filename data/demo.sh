#!/usr/bin/env bash
# The demo behind `./run demo`: a demo branch with sample members, walked
# through the card lifecycle with mendian-cli, printing what happens.
# Usage: data/demo.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cli="$top/$build/client/cli/mendian-cli"
demo="$top/demo"

export MENDIAN_LOCALEDIR="$top/$build/locale"
export LANGUAGE=${LANGUAGE:-zh_CN}
export MENDIAN_PASSWORD=demo-admin

rm -rf "$demo"
mkdir -p "$demo"
echo "$MENDIAN_PASSWORD" > "$demo/admin-password"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
op() {
  printf '\033[2m> %s\033[0m\n' "$1"
  printf '%s\n' "$1" | "$cli" --db "$demo/branch.db" --staff "${STAFF:-admin}" exec || true
}

say "Create branch B01 (一号店) with an admin"
"$cli" --db "$demo/branch.db" init --branch-code B01 --branch-name 一号店 --branch-number 1 \
  --admin-password-file "$demo/admin-password"

say "Member levels, deposit bonus rules, a cashier"
op '{"op":"level.upsert","code":"silver","name":"银卡","price_percent":95,"points_per_yuan":1}'
op '{"op":"level.upsert","code":"gold","name":"金卡","price_percent":85,"points_per_yuan":2,"offline_limit_fen":20000}'
op '{"op":"deposit_rule.upsert","min":"100","bonus":"10"}'
op '{"op":"deposit_rule.upsert","min":"500","bonus":"80"}'
op '{"op":"staff.add","code":"1001","name":"小王","role":"cashier","password":"cashier-1001"}'

say "Issue cards (办卡), one with an opening deposit of 500 that earns the 80 bonus"
op '{"op":"member.issue","name":"张三","phone":"13800000001","level":"gold","birthday":"1990-05-01","pin":"1234","deposit":"500","tender":"wechat"}'
op '{"op":"member.issue","name":"李四","phone":"13800000002","birthday_lunar":"08-15","expires_on":"2027-12-31"}'
op '{"op":"member.issue","name":"王五","phone":"13800000003","level":"silver","deposit":"100"}'

say "A cashier tops up (充值) and is refused a withdrawal (取款 needs a manager)"
STAFF=1001 MENDIAN_PASSWORD=cashier-1001 op '{"op":"member.deposit","card":"13800000002","amount":"200","tender":"cash"}'
STAFF=1001 MENDIAN_PASSWORD=cashier-1001 op '{"op":"member.withdraw","card":"13800000002","amount":"50"}'

say "Withdraw principal only, with the PIN"
op '{"op":"member.withdraw","card":"00100000017","amount":"100","pin":"1234"}'
op '{"op":"member.withdraw","card":"00100000017","amount":"1000","pin":"1234"}'

say "Report lost (挂失), refused while lost, replace (换卡): balance moves to the new number"
op '{"op":"member.lose","card":"13800000003"}'
op '{"op":"member.deposit","card":"13800000003","amount":"10"}'
op '{"op":"member.replace","card":"13800000003"}'
op '{"op":"member.show","card":"00100000033"}'

say "Extend (延期), upgrade (升级), QR card as PNG"
op '{"op":"member.extend","card":"13800000002","expires_on":"2028-12-31"}'
op '{"op":"member.upgrade","card":"13800000002","level":"silver"}'
op "{\"op\":\"member.qr\",\"card\":\"13800000001\",\"png\":\"$demo/card-13800000001.png\"}"

say "A forged QR code is refused"
op '{"op":"member.show","card":"MDN1.00100000017.forgedforgedforgedforgedforgedforgedforge"}'

say "Every member"
op '{"op":"member.search","query":"1380000"}'

say "Verify the ledger: hash chain and every projection"
"$cli" --db "$demo/branch.db" verify

printf '\nThe demo branch is %s; try:\n  MENDIAN_PASSWORD=%s %s --db %s --staff admin exec\n' \
  "$demo/branch.db" "$MENDIAN_PASSWORD" "$cli" "$demo/branch.db"
