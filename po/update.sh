#!/usr/bin/env bash
# Maintainer tool: refresh po/POTFILES.in from the sources, merge every
# message into po/zh_CN.po, and fill empty translations from the tables in
# po/tools/zh_CN-*.tsv (msgid<TAB>msgstr). Prints what is still untranslated.
set -euo pipefail
cd "$(dirname "$0")/.."

{
  grep -rl --include='*.c' -E '\b_\(|\bN_\(|C_\(|g_dngettext' common client/cli client/pos server 2>/dev/null || true
  grep -l 'translatable="yes"' client/pos/*.ui 2>/dev/null || true
  grep -l '{{_("' server/console/templates/*.html 2>/dev/null || true
} | sort -u > po/POTFILES.in

xgettext --from-code=UTF-8 --package-name=mendian -k_ -kN_ -kC_:1c,2 -kNC_:1c,2 -kg_dngettext:2,3 -kngettext:1,2 \
  --add-comments=TRANSLATORS -f po/POTFILES.in -o po/mendian.pot
msgmerge --quiet --update --backup=none --no-fuzzy-matching po/zh_CN.po po/mendian.pot
python3 po/tools/fill.py po/zh_CN.po po/tools/zh_CN-*.tsv || true
msgattrib --no-obsolete -o po/zh_CN.po po/zh_CN.po
rm -f po/mendian.pot
msgfmt -c --statistics -o /dev/null po/zh_CN.po
