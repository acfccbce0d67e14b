#!/usr/bin/env bash
# Seeds a demo branch for the POS (levels, deposit rules, staff, products,
# packages, tables, members) and starts mendian-pos on it, in Chinese.
# Usage: client/pos/pos-demo.sh BUILD_DIR [DEMO_DIR]
# Log in as cashier 1001 / cashier-1001 (or admin / demo-admin).
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
demo=${2:-$top/demo/pos}
cli="$top/$build/client/cli/mendian-cli"
pos="$top/$build/client/pos/mendian-pos"

export MENDIAN_LOCALEDIR=${MENDIAN_LOCALEDIR:-$top/$build/locale}
export LANGUAGE=${LANGUAGE:-zh_CN}
# gettext ignores LANGUAGE in the plain C locale; C.UTF-8 always exists.
[ "$(locale charmap 2>/dev/null)" = UTF-8 ] || export LC_ALL=C.UTF-8
export MENDIAN_POS_CONFIG="$demo/pos.ini"
export MENDIAN_PASSWORD=demo-admin

rm -rf "$demo"
mkdir -p "$demo"
echo "$MENDIAN_PASSWORD" > "$demo/admin-password"
"$cli" --db "$demo/branch.db" init --branch-code B01 --branch-name 一号店 --branch-number 1 \
  --admin-password-file "$demo/admin-password" >/dev/null

"$cli" --db "$demo/branch.db" --staff admin exec >/dev/null <<'OPS'
{"op":"level.upsert","code":"silver","name":"银卡","price_percent":95,"points_per_yuan":1}
{"op":"level.upsert","code":"gold","name":"金卡","price_percent":85,"points_per_yuan":2,"offline_limit_fen":20000}
{"op":"deposit_rule.upsert","min":"100","bonus":"10"}
{"op":"deposit_rule.upsert","min":"500","bonus":"80"}
{"op":"staff.add","code":"1001","name":"小王","role":"cashier","password":"cashier-1001"}
{"op":"staff.add","code":"2001","name":"李店长","role":"manager","password":"manager-2001"}
{"op":"product.upsert","sku":"COLA","name":"可口可乐 330ml","price":"3.50","kind":"goods","category":"饮料","barcode":"6901234567892"}
{"op":"product.upsert","sku":"TEA","name":"东方树叶 500ml","price":"5","kind":"goods","category":"饮料","barcode":"6901234567908"}
{"op":"product.upsert","sku":"WATER","name":"农夫山泉 550ml","price":"2","kind":"goods","category":"饮料","barcode":"6901234567915"}
{"op":"product.upsert","sku":"SHAMPOO","name":"滋养洗发水 400ml","price":"88","kind":"goods","category":"护理","barcode":"6901234567922","no_discount":true}
{"op":"product.upsert","sku":"CUT","name":"洗剪吹","price":"68","kind":"service","category":"美发"}
{"op":"product.upsert","sku":"DYE","name":"染发","price":"288","kind":"service","category":"美发"}
{"op":"product.upsert","sku":"CUT10","name":"洗剪吹 10 次卡","price":"500","kind":"package","package_sku":"CUT","package_count":10,"package_days":365}
{"op":"plan.upsert","code":"HOUR","name":"台球按小时","unit_minutes":60,"unit_price":"30"}
{"op":"plan.upsert","code":"KTV","name":"包间半小时","unit_minutes":30,"unit_price":"45","min_minutes":60}
{"op":"resource.upsert","code":"T1","name":"台球 1 号台","plan":"HOUR"}
{"op":"resource.upsert","code":"T2","name":"台球 2 号台","plan":"HOUR"}
{"op":"resource.upsert","code":"T3","name":"台球 3 号台","plan":"HOUR"}
{"op":"resource.upsert","code":"K1","name":"KTV 小包","plan":"KTV"}
{"op":"resource.upsert","code":"K2","name":"KTV 大包","plan":"KTV"}
{"op":"member.issue","name":"张三","phone":"13800000001","level":"gold","pin":"1234","deposit":"500","tender":"wechat"}
{"op":"member.issue","name":"李四","phone":"13800000002","level":"silver","deposit":"200","tender":"cash"}
{"op":"member.issue","name":"王五","phone":"13800000003"}
{"op":"sale","card":"13800000001","lines":[{"sku":"CUT10","qty":1}],"tenders":[{"type":"balance","amount_fen":42500}],"pin":"1234"}
{"op":"timed.start","resource":"T2","card":"13800000002"}
OPS

cat > "$demo/pos.ini" <<INI
[pos]
printer=file:$demo/receipts.bin
printer-width=32
INI

echo "Demo branch: $demo/branch.db"
echo "Log in as 1001 / cashier-1001 (cashier), 2001 / manager-2001 (manager) or admin / demo-admin."
echo "Scan codes by typing them: 6901234567892 (可口可乐), CUT, 13800000001 (张三, PIN 1234)."
echo "Receipts (ESC/POS bytes) are appended to $demo/receipts.bin."
exec "$pos" --db "$demo/branch.db" "${@:3}"
