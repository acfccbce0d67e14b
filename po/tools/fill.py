#!/usr/bin/env python3
"""Fill a .po file's empty msgstr from translation tables (po/tools/zh_CN-*.tsv:
msgid<TAB>msgstr, with \\t and \\n escaped as in C). Usage: fill.py PO TSV..."""
import re, sys

def unquote(lines):
    return "".join(re.sub(r'^"(.*)"$', r"\1", l.strip()) for l in lines)

def quote(s):
    return '"' + s + '"'

table = {}
for path in sys.argv[2:]:
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#") or "\t" not in line:
            continue
        k, v = line.split("\t", 1)
        table[k] = v

out, block = [], []
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
i = 0
missing = 0
while i < len(lines):
    l = lines[i]
    if l.startswith("msgid "):
        mid = [l[6:]]
        i += 1
        while i < len(lines) and lines[i].startswith('"'):
            mid.append(lines[i]); i += 1
        sid = unquote(mid)
        if lines[i].startswith("msgid_plural "):
            # Chinese has one form: msgstr[0] from the singular's entry.
            out.append("msgid " + quote(sid))
            out.append(lines[i]); i += 1
            while i < len(lines) and lines[i].startswith('"'):
                out.append(lines[i]); i += 1
            while i < len(lines) and lines[i].startswith("msgstr["):
                cur = unquote([lines[i].split(" ", 1)[1]])
                if lines[i].startswith("msgstr[0]") and not cur:
                    if sid in table:
                        cur = table[sid]
                    else:
                        missing += 1
                        sys.stderr.write("untranslated: %s\n" % sid)
                out.append(lines[i].split(" ", 1)[0] + " " + quote(cur))
                i += 1
                while i < len(lines) and lines[i].startswith('"'):
                    i += 1
            continue
        # msgstr
        assert lines[i].startswith("msgstr ")
        mstr = [lines[i][7:]]
        i += 1
        while i < len(lines) and lines[i].startswith('"'):
            mstr.append(lines[i]); i += 1
        cur = unquote(mstr)
        if sid and not cur:
            if sid in table:
                cur = table[sid]
            else:
                missing += 1
                sys.stderr.write("untranslated: %s\n" % sid)
        out.append("msgid " + quote(sid))
        out.append("msgstr " + quote(cur))
        # drop fuzzy flags from previous line if we filled it
        continue
    out.append(l)
    i += 1
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(out))
sys.exit(1 if missing else 0)
