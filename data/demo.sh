#!/usr/bin/env bash
# The demo behind `./run demo`: a whole chain on this computer. A local
# mendian-server, a head-office terminal (HQ) and two branches (B01, B02)
# linked to it; HQ writes the master data (levels, deposit rules, products,
# packages, rate plans) and sync brings it to the branches; each branch has
# its own tables and rooms, staff, members and a few sales; then the POS
# opens on B01, in Chinese, syncing with the server in the background.
#
# Usage: data/demo.sh BUILD_DIR          build the demo chain in ./demo/ and open the POS
#        data/demo.sh BUILD_DIR open     open the POS again on the demo built before
# Without a display (ssh, CI) everything but the window is done.
set -euo pipefail
build=${1:-build}
mode=${2:-new}
top=$(cd "$(dirname "$0")/.." && pwd)
case "$build" in /*) ;; *) build="$top/$build" ;; esac
cli="$build/client/cli/mendian-cli"
srv="$build/server/mendian-server"
pos="$build/client/pos/mendian-pos"
# MENDIAN_DEMO_DIR: build the demo elsewhere (tests); MENDIAN_DEMO_BATCH=1: build it
# only, no POS window and no waiting on the console.
demo="${MENDIAN_DEMO_DIR:-$top/demo}"

for exe in "$cli" "$srv" "$pos"; do
  [ -x "$exe" ] || { echo "demo: $exe is missing; build first (ninja -C $build)" >&2; exit 1; }
done

# Chinese, from the build tree's catalogues (po/meson.build writes
# BUILD/locale/zh_CN/LC_MESSAGES/mendian.mo). gettext ignores LANGUAGE in
# the plain C locale; C.UTF-8 always exists.
export MENDIAN_LOCALEDIR=${MENDIAN_LOCALEDIR:-$build/locale}
export LANGUAGE=${LANGUAGE:-zh_CN}
[ "$(locale charmap 2>/dev/null)" = UTF-8 ] || export LC_ALL=C.UTF-8
export MENDIAN_POS_CONFIG="$demo/pos.ini"
admin_password=demo-admin
console_password=demo-console

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

# Runs JSON operations (standard input, one a line) at branch $1 as staff $2
# (password $3); stops the demo on the first refusal.
ops() {
  local db=$1 staff=$2 password=$3 out
  if ! out=$(MENDIAN_PASSWORD=$password "$cli" --db "$demo/$db.db" --staff "$staff" exec); then
    printf '%s\n' "$out" | grep -v '"ok":true' >&2 || true
    echo "demo: an operation at $db was refused (above)" >&2
    exit 1
  fi
  printf '%s\n' "$out"
}

sync_branch() {
  local r
  r=$("$cli" --db "$demo/$1.db" sync)
  printf '  %-4s %s\n' "$1" "$r"
}

server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# Starts mendian-server on $1 (HOST:PORT) and waits for the "listening on URL"
# line it prints once it accepts connections.
start_server() {
  local line=
  : > "$demo/server.log"
  : > "$demo/server.out"   # truncated here, not by the child: no old line read as new
  "$srv" --db "$demo/chain.db" serve --listen "$1" > "$demo/server.out" 2>> "$demo/server.log" &
  server_pid=$!
  for _ in $(seq 100); do
    line=$(head -n 1 "$demo/server.out" 2>/dev/null || true)
    [ -n "$line" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  case "$line" in
    "listening on "*) url=${line#listening on } ;;
    *) echo "demo: mendian-server did not start:" >&2; cat "$demo/server.log" >&2; exit 1 ;;
  esac
}

open_pos() {
  if [ -n "${MENDIAN_DEMO_BATCH:-}" ]; then
    return 0
  fi
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    say "No display: the POS window is not opened"
    echo "On a desktop, open it (the server starts again with it) with:"
    echo "  $top/data/demo.sh ${1:-build} open"
    say "The web console is at ${url}console/ (boss / $console_password); Ctrl-C ends the demo"
    wait "$server_pid" || true
    return 0
  fi
  say "The POS of B01 一号店 (server $url; close the window to end the demo)"
  "$pos" --db "$demo/b01.db" || true
}

if [ "$mode" = open ]; then
  [ -f "$demo/server.url" ] || { echo "demo: no demo yet; run data/demo.sh $build first" >&2; exit 1; }
  addr=$(sed -E 's|^https?://([^/]*)/?.*$|\1|' "$demo/server.url")
  start_server "$addr"
  open_pos "$1"
  exit 0
fi

rm -rf "$demo"
mkdir -p "$demo"
chmod 700 "$demo"
printf '%s\n' "$admin_password" > "$demo/admin-password"

say "Head-office server: chain database, branch tokens, chain key"
"$srv" --db "$demo/chain.db" init >/dev/null
tok_hq=$("$srv" --db "$demo/chain.db" branch add --code HQ --name 总部 --number 0 --hq | json_field token)
tok_b01=$("$srv" --db "$demo/chain.db" branch add --code B01 --name 一号店 --number 1 | json_field token)
tok_b02=$("$srv" --db "$demo/chain.db" branch add --code B02 --name 二号店 --number 2 | json_field token)
"$srv" --db "$demo/chain.db" chain-key > "$demo/chain.key"
printf '%s\n' "$console_password" > "$demo/console-password"
"$srv" --db "$demo/chain.db" user add --name boss --role hq-admin --password-file "$demo/console-password" >/dev/null
"$srv" --db "$demo/chain.db" user add --name viewer --role hq-viewer --password-file "$demo/console-password" >/dev/null
"$srv" --db "$demo/chain.db" user add --name east --role region --branches B01 \
  --password-file "$demo/console-password" >/dev/null
start_server 127.0.0.1:0
printf '%s\n' "$url" > "$demo/server.url"
echo "  mendian-server is listening on $url (pid $server_pid, log demo/server.log)"

say "Three terminals with the chain's key, linked to the server"
init_branch() {
  "$cli" --db "$demo/$1.db" init --branch-code "$2" --branch-name "$3" --branch-number "$4" \
    --admin-password-file "$demo/admin-password" --chain-key-file "$demo/chain.key" ${5:-} >/dev/null
  printf '%s\n' "$6" | "$cli" --db "$demo/$1.db" link --server "$url" --token-file - >/dev/null
  printf '  %-4s %s → demo/%s.db, linked\n' "$2" "$3" "$1"
}
init_branch hq HQ 总部 0 --hq "$tok_hq"
init_branch b01 B01 一号店 1 "" "$tok_b01"
init_branch b02 B02 二号店 2 "" "$tok_b02"

say "Head office writes the master data: levels, deposit bonus rules, products, packages, rate plans"
ops hq admin "$admin_password" >/dev/null <<'OPS'
{"op":"settings.set","key":"member.pin_length","value":"4"}
{"op":"level.upsert","code":"silver","name":"银卡","price_percent":95,"points_per_yuan":1,"offline_limit_fen":10000}
{"op":"level.upsert","code":"gold","name":"金卡","price_percent":85,"points_per_yuan":2,"offline_limit_fen":20000}
{"op":"deposit_rule.upsert","min":"100","bonus":"10"}
{"op":"deposit_rule.upsert","min":"500","bonus":"80"}
{"op":"product.upsert","sku":"COLA","name":"可口可乐 330ml","price":"3.50","kind":"goods","category":"饮料","barcode":"6901234567892"}
{"op":"product.upsert","sku":"TEA","name":"东方树叶 500ml","price":"5","kind":"goods","category":"饮料","barcode":"6901234567908"}
{"op":"product.upsert","sku":"WATER","name":"农夫山泉 550ml","price":"2","kind":"goods","category":"饮料","barcode":"6901234567915"}
{"op":"product.upsert","sku":"BEER","name":"青岛啤酒 500ml","price":"8","kind":"goods","category":"饮料","barcode":"6901234567939"}
{"op":"product.upsert","sku":"NUTS","name":"每日坚果","price":"12.80","kind":"goods","category":"零食","barcode":"6901234567946"}
{"op":"product.upsert","sku":"SHAMPOO","name":"滋养洗发水 400ml","price":"88","kind":"goods","category":"护理","barcode":"6901234567922","no_discount":true}
{"op":"product.upsert","sku":"CUT","name":"洗剪吹","price":"68","kind":"service","category":"美发"}
{"op":"product.upsert","sku":"DYE","name":"染发","price":"288","kind":"service","category":"美发"}
{"op":"product.upsert","sku":"MASSAGE","name":"足疗 60 分钟","price":"128","kind":"service","category":"养生"}
{"op":"product.upsert","sku":"CUT10","name":"洗剪吹 10 次卡","price":"500","kind":"package","category":"套餐","package_sku":"CUT","package_count":10,"package_days":365}
{"op":"product.upsert","sku":"MASSAGE5","name":"足疗 5 次卡","price":"560","kind":"package","category":"套餐","package_sku":"MASSAGE","package_count":5,"package_days":180}
{"op":"plan.upsert","code":"HOUR","name":"台球按小时","unit_minutes":60,"unit_price":"30"}
{"op":"plan.upsert","code":"KTV","name":"KTV 半小时","unit_minutes":30,"unit_price":"45","min_minutes":60}
{"op":"plan.upsert","code":"ROOM","name":"茶室按小时","unit_minutes":60,"unit_price":"40","free_minutes":10}
OPS
echo "  2 levels, 2 deposit rules, 11 products (goods, services, 2 packages), 3 rate plans"

say "Sync: HQ pushes, the branches pull the master data"
sync_branch hq
sync_branch b01
sync_branch b02

say "Each branch's own tables and rooms, and staff"
ops b01 admin "$admin_password" >/dev/null <<'OPS'
{"op":"resource.upsert","code":"T1","name":"台球 1 号台","plan":"HOUR"}
{"op":"resource.upsert","code":"T2","name":"台球 2 号台","plan":"HOUR"}
{"op":"resource.upsert","code":"T3","name":"台球 3 号台","plan":"HOUR"}
{"op":"resource.upsert","code":"K1","name":"KTV 小包","plan":"KTV"}
{"op":"resource.upsert","code":"K2","name":"KTV 大包","plan":"KTV"}
{"op":"staff.add","code":"1001","name":"小王","role":"cashier","password":"cashier-1001"}
{"op":"staff.add","code":"2001","name":"李店长","role":"manager","password":"manager-2001"}
OPS
ops b02 admin "$admin_password" >/dev/null <<'OPS'
{"op":"resource.upsert","code":"R1","name":"茶室 梅","plan":"ROOM"}
{"op":"resource.upsert","code":"R2","name":"茶室 兰","plan":"ROOM"}
{"op":"resource.upsert","code":"T1","name":"台球 1 号台","plan":"HOUR"}
{"op":"staff.add","code":"1001","name":"小陈","role":"cashier","password":"cashier-1001"}
{"op":"staff.add","code":"2001","name":"赵店长","role":"manager","password":"manager-2001"}
OPS
echo "  B01: 3 billiard tables, 2 KTV rooms    B02: 2 tea rooms, 1 billiard table"

say "Two weeks of takings at both branches (quick cash sales, dated by MENDIAN_NOW)"
for d in $(seq 14 -1 1); do
  day=$(date -d "-$d day" +%F)
  b01_fen=$(( (150 + (d * 37) % 220) * 100 ))
  b02_fen=$(( (90 + (d * 53) % 160) * 100 ))
  (
    export MENDIAN_NOW="${day}T15:00:00+08:00"
    ops b01 1001 cashier-1001 >/dev/null <<OPS
{"op":"sale.quick","amount_fen":$b01_fen,"tenders":[{"type":"cash","amount_fen":$b01_fen}]}
{"op":"sale.quick","amount_fen":$(( b01_fen / 3 )),"tenders":[{"type":"wechat","amount_fen":$(( b01_fen / 3 ))}]}
OPS
    ops b02 1001 cashier-1001 >/dev/null <<OPS
{"op":"sale.quick","amount_fen":$b02_fen,"tenders":[{"type":"alipay","amount_fen":$b02_fen}]}
OPS
  )
done
echo "  B01 and B02: a few sales a day over the last 14 days"

say "Members at B01: cards, deposits (with bonus), a package, sales, a table running"
ops b01 1001 cashier-1001 >/dev/null <<'OPS'
{"op":"member.issue","name":"张三","phone":"13800000001","level":"gold","birthday":"1990-05-01","pin":"1234","deposit":"500","tender":"wechat"}
{"op":"member.issue","name":"李四","phone":"13800000002","level":"silver","deposit":"200","tender":"cash"}
{"op":"member.issue","name":"王五","phone":"13800000003","birthday_lunar":"08-15"}
{"op":"sale","card":"13800000001","pin":"1234","lines":[{"sku":"CUT10","qty":1}],"tenders":[{"type":"balance","amount_fen":42500}]}
{"op":"sale","lines":[{"sku":"COLA","qty":2},{"sku":"NUTS","qty":1}],"tenders":[{"type":"cash","amount_fen":2000}]}
{"op":"sale","card":"13800000002","lines":[{"sku":"CUT","qty":1},{"sku":"WATER","qty":1}],"tenders":[{"type":"balance","amount_fen":6650}]}
{"op":"member.deposit","card":"13800000003","amount":"100","tender":"alipay"}
{"op":"timed.start","resource":"T2","card":"13800000002"}
OPS
echo "  张三 (金卡, PIN 1234, 500 + 80 bonus, bought 洗剪吹 10 次卡), 李四 (银卡), 王五"

say "Members at B02"
ops b02 1001 cashier-1001 >/dev/null <<'OPS'
{"op":"member.issue","name":"赵六","phone":"13900000001","level":"gold","pin":"8888","deposit":"1000","tender":"bank"}
{"op":"member.issue","name":"钱七","phone":"13900000002","level":"silver","deposit":"100","tender":"wechat"}
{"op":"sale","card":"13900000001","pin":"8888","lines":[{"sku":"MASSAGE5","qty":1}],"tenders":[{"type":"balance","amount_fen":47600}]}
{"op":"sale","lines":[{"sku":"TEA","qty":2},{"sku":"BEER","qty":3}],"tenders":[{"type":"wechat","amount_fen":3400}]}
{"op":"timed.start","resource":"R1","card":"13900000002"}
OPS
echo "  赵六 (金卡, PIN 8888, bought 足疗 5 次卡), 钱七 (银卡)"

say "Sync everything: every branch sees every member"
sync_branch b01
sync_branch b02
sync_branch hq
sync_branch b01

say "A B01 member served at B02: 张三 uses one haircut of the package bought at B01"
ops b02 1001 cashier-1001 <<'OPS' | sed -n 's/.*"remaining":\([0-9]*\).*/  张三 has \1 haircuts left/p'
{"op":"package.consume","card":"13800000001","sku":"CUT","count":1}
OPS
sync_branch b02
sync_branch b01

say "The server goes down; 钱七 (银卡, 95%) pays 76.00 from the card at B01 and again at B02, offline"
addr=$(sed -E 's|^https?://([^/]*)/?.*$|\1|' "$demo/server.url")
stop_server
ops b01 1001 cashier-1001 >/dev/null <<'OPS'
{"op":"sale.quick","card":"13900000002","amount_fen":8000,"tenders":[{"type":"balance","amount_fen":7600}]}
OPS
ops b02 1001 cashier-1001 >/dev/null <<'OPS'
{"op":"sale.quick","card":"13900000002","amount_fen":8000,"tenders":[{"type":"balance","amount_fen":7600}]}
OPS
start_server "$addr"
sync_branch b01
sync_branch b02
sync_branch b01
sync_branch hq
echo "  the server found the overdraft (-42.00: 152.00 spent of 100.00 + 10.00 bonus): an exception for head office, the card on hold"

say "Stock, transfers and member messages, for head office's 库存 and 会员 pages"
ops b01 2001 manager-2001 >/dev/null <<'OPS'
{"op":"stock.receive","lines":[{"sku":"COLA","qty":48,"cost":"1.80"},{"sku":"NUTS","qty":20,"cost":"4.00"}]}
{"op":"transfer.out","to":"B02","note":"补货","lines":[{"sku":"COLA","qty":12}]}
OPS
ops b02 2001 manager-2001 >/dev/null <<'OPS'
{"op":"stock.receive","lines":[{"sku":"TEA","qty":24,"cost":"2.50"},{"sku":"BEER","qty":36,"cost":"3.20"}]}
OPS
tea_doc=$(ops b02 2001 manager-2001 <<<'{"op":"transfer.out","to":"B01","lines":[{"sku":"TEA","qty":6}]}' |
          sed -n 's/.*"doc_no":"\([^"]*\)".*/\1/p')
ops b01 1001 cashier-1001 >/dev/null <<'OPS'
{"op":"message.add","card":"13800000001","text":"周六下午还能预约洗剪吹吗？"}
{"op":"member.sms_prefs","card":"13800000001","sms_consent":true}
{"op":"member.sms_prefs","card":"13800000002","sms_consent":true}
OPS
sync_branch b02
sync_branch b01
ops b01 2001 manager-2001 >/dev/null <<OPS
{"op":"transfer.receive","transfer_id":"$tea_doc","lines":[{"sku":"TEA","qty":5}]}
OPS
sync_branch b01
sync_branch b02
echo "  B01 sent 12 可乐 to B02 (in transit); B02 sent 6 茶 to B01, 5 arrived (a shortfall); 张三 left a message"

for b in hq b01 b02; do
  "$cli" --db "$demo/$b.db" verify >/dev/null || { echo "demo: $b.db does not verify" >&2; exit 1; }
done

cat > "$demo/pos.ini" <<INI
[pos]
printer=file:$demo/receipts.bin
printer-width=32
INI

say "The demo chain"
cat <<EOF
  server   $url  (demo/chain.db; tokens in the branch databases)
  HQ       总部    demo/hq.db    master data (levels, rules, products, plans)
  B01      一号店  demo/b01.db   5 tables/rooms, 3 members, 3 sales, T2 running
  B02      二号店  demo/b02.db   3 rooms/tables, 2 members, 2 sales, R1 running

  Logins (the same at B01 and B02):
    1001 / cashier-1001   cashier
    2001 / manager-2001   manager (returns, withdrawals)
    admin / $admin_password     administrator (staff, server link); also at HQ

  At the checkout, type or scan:
    6901234567892  可口可乐        CUT       洗剪吹 (a service)
    13800000001    张三's card (PIN 1234)    13900000001  赵六, a B02 member
  Receipts (ESC/POS bytes) go to demo/receipts.bin.
  Command line: MENDIAN_PASSWORD=$admin_password $cli --db $demo/b01.db --staff admin exec

  Head-office web console: ${url}console/
    boss / $console_password     head-office administrator
    viewer / $console_password   looks only       east / $console_password   region (B01 only)
EOF

open_pos "${1:-build}"
