#!/usr/bin/env python3
"""gen-backends.py: the storage interface's two backends from its headers.

Reads every srv_store_* declaration of srv-store.h (and of the other
headers of store functions given, srv-store-sms.h) and every srv_console_*
declaration of srv-store-console.h that takes the store first, and writes
  srv-store-sqlite-names.h  macros renaming SrvStore to SrvSqlite,
                            srv_store_* to srv_sqlite_* and srv_console_* to
                            srv_sqlite_console_* (srv-store-sqlite.c and
                            srv-store-console.c are compiled under them,
                            unchanged)
  srv-store-backends.h      the srv_sqlite_* and srv_pg_* prototypes, the
                            same signatures on SrvSqlite / SrvPg
  srv-store-dispatch.c      srv_store_* / srv_console_* forwarding to the
                            store's backend
  srv-store-pg-missing.c    for each function the PostgreSQL sources (the
                            .c files given) don't define: a srv_pg_* that
                            answers SRV_ERROR_NOT_SUPPORTED naming it, so a
                            function added to the interface builds and says
                            clearly on PostgreSQL that it isn't there yet
                            (gen-backends.py --missing lists them)

usage: gen-backends.py OUTDIR HEADER.h... PG.c...
       gen-backends.py --missing HEADER.h... PG.c...
(the headers are the arguments ending in .h, the PostgreSQL sources those
ending in .c)
"""
import os
import re
import sys

# Written by hand in srv-store.c: they make, free or configure the backends.
MANUAL = {"srv_store_open", "srv_store_free", "srv_store_set_auth_ttl", "srv_store_is_pg_uri", "srv_store_is_pg",
          "srv_store_watch_feed", "srv_store_set_report_dsn"}

# Reads that may be answered by a replica (serve --report-dsn): reports,
# stock and the console's pages, never what a decision reads. docs/server.md
# ("Deployment") says what may be stale.
REPLICA_READS = {"srv_store_summary", "srv_store_metrics", "srv_store_report", "srv_store_stock",
                 "srv_store_transfers", "srv_console_audit_rows", "srv_console_trend_rows",
                 "srv_console_member_rows", "srv_console_member_row", "srv_console_package_rows",
                 "srv_console_history_rows", "srv_console_product_rows", "srv_console_level_rows",
                 "srv_console_rule_rows", "srv_console_plan_rows", "srv_console_setting_rows",
                 "srv_console_report_page", "srv_console_message_rows", "srv_console_reply_rows",
                 "srv_console_oplog_rows", "srv_console_oplog_ops", "srv_console_branch_versions",
                 "srv_console_category_rows"}

DECL = re.compile(r"^([A-Za-z_][^;{}#()]*?)\b(srv_(?:store|console)_\w+)\s*\(([^;]*?)\)\s*(?:G_GNUC_\w+\s*)*;",
                  re.M | re.S)


def params_of(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = " ".join(text.split())
    if text in ("", "void"):
        return []
    out = []
    for p in text.split(","):
        p = p.strip()
        m = re.search(r"(\w+)\s*$", p)
        out.append((p, m.group(1)))
    return out


def short_of(name):
    """srv_store_feed -> feed, srv_console_login -> console_login"""
    return name[len("srv_store_"):] if name.startswith("srv_store_") else name[len("srv_"):]


def read_decls(headers):
    decls = []
    for header in headers:
        src = open(header, encoding="utf-8").read()
        src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
        src = re.sub(r"\bG_(BEGIN|END)_DECLS\b", ";", src)
        for m in DECL.finditer(src):
            ret = " ".join(m.group(1).split())
            name = m.group(2)
            params = params_of(m.group(3))
            if name.startswith("srv_console_") and (not params or not params[0][0].startswith("SrvStore")):
                continue   # a helper of its own (srv_console_user_free), not a backend's
            decls.append((ret, name, params))
    return decls


def pg_defined(sources):
    have = set()
    for path in sources:
        src = open(path, encoding="utf-8").read()
        have |= set(re.findall(r"^srv_pg_(\w+)\s*\(", src, re.M))
    return have


def zero_of(ret):
    if ret == "void":
        return None
    if "*" in ret:
        return "NULL"
    if ret == "gboolean":
        return "FALSE"
    return "-1"


def split_args(args):
    return [a for a in args if a.endswith(".h")], [a for a in args if a.endswith(".c")]


def main():
    if sys.argv[1] == "--missing":
        headers, sources = split_args(sys.argv[2:])
        decls = read_decls(headers)
        have = pg_defined(sources)
        for ret, name, params in decls:
            if name not in MANUAL and short_of(name) not in have:
                print(name)
        return
    outdir = sys.argv[1]
    headers, sources = split_args(sys.argv[2:])
    decls = read_decls(headers)
    have = pg_defined(sources)
    names = sorted({d[1] for d in decls} | MANUAL)

    with open(os.path.join(outdir, "srv-store-sqlite-names.h"), "w") as f:
        f.write("/* Generated by gen-backends.py from srv-store.h: do not edit. */\n#pragma once\n")
        f.write("#define SrvStore SrvSqlite\n#define _SrvStore _SrvSqlite\n")
        for n in names:
            f.write("#define %s srv_sqlite_%s\n" % (n, short_of(n)))

    def proto(ret, name, params, prefix, typ):
        ps = [p.replace("SrvStore", typ) for p, _ in params] or ["void"]
        return "%s %s%s (%s)" % (ret.replace("SrvStore", typ), prefix, short_of(name), ", ".join(ps))

    with open(os.path.join(outdir, "srv-store-backends.h"), "w") as f:
        f.write("/* Generated by gen-backends.py from srv-store.h: do not edit. */\n#pragma once\n\n")
        for header in headers:
            f.write('#include "%s"\n' % os.path.basename(header))
        f.write('\nG_BEGIN_DECLS\n\n')
        f.write("typedef struct _SrvSqlite SrvSqlite;\ntypedef struct _SrvPg SrvPg;\n\n")
        f.write("/* SRV_ERROR_NOT_SUPPORTED naming @function (srv-store-pg.c). */\n"
                "void srv_pg_not_supported (GError **error, const char *function);\n"
                "/* A replica of a store's database, for REPLICA_READS only (srv-store-pg.c). */\n"
                "SrvPg *srv_pg_open_replica (const char *uri, GError **error);\n\n")
        for ret, name, params in decls:
            f.write(proto(ret, name, params, "srv_sqlite_", "SrvSqlite") + ";\n")
            f.write(proto(ret, name, params, "srv_pg_", "SrvPg") + ";\n")
        f.write("\nG_END_DECLS\n")

    with open(os.path.join(outdir, "srv-store-dispatch.c"), "w") as f:
        f.write("/* Generated by gen-backends.py from srv-store.h: do not edit.\n"
                " * Each srv_store_* forwards to the store's backend (srv-store.c). */\n")
        f.write('#include "srv-store-front.h"\n\n')
        for ret, name, params in decls:
            if name in MANUAL:
                continue
            if not params or not params[0][0].startswith("SrvStore"):
                sys.exit("gen-backends.py: %s does not take the store first" % name)
            sig = ", ".join(p for p, _ in params)
            rest = "".join(", " + n for _, n in params[1:])
            short = short_of(name)
            f.write("%s\n%s (%s)\n{\n" % (ret, name, sig))
            r = "" if ret == "void" else "return "
            pg = "store->report ? store->report : store->pg" if name in REPLICA_READS else "store->pg"
            f.write("  if (store->pg)\n    %ssrv_pg_%s (%s%s);\n" % (r, short, pg, rest))
            if ret == "void":
                f.write("  else\n    srv_sqlite_%s (store->sqlite%s);\n}\n\n" % (short, rest))
            else:
                f.write("  return srv_sqlite_%s (store->sqlite%s);\n}\n\n" % (short, rest))

    with open(os.path.join(outdir, "srv-store-pg-missing.c"), "w") as f:
        f.write("/* Generated by gen-backends.py: the functions of the storage interface\n"
                " * the PostgreSQL store doesn't have yet. Each answers\n"
                " * SRV_ERROR_NOT_SUPPORTED naming itself (or, without a GError, warns\n"
                " * and answers nothing). Do not edit. */\n")
        f.write('#include "srv-store-backends.h"\n\n')
        for ret, name, params in decls:
            short = short_of(name)
            if name in MANUAL or short in have:
                continue
            ps = [p.replace("SrvStore", "SrvPg") for p, _ in params]
            f.write("%s\nsrv_pg_%s (%s)\n{\n" % (ret.replace("SrvStore", "SrvPg"), short, ", ".join(ps)))
            for _, n in params:
                f.write("  (void) %s;\n" % n)
            if any(n == "error" and "GError" in p for p, n in params):
                f.write("  srv_pg_not_supported (error, \"%s\");\n" % name)
            else:
                f.write("  g_warning (\"%s is not available on the PostgreSQL store yet\");\n" % name)
            z = zero_of(ret)
            f.write("  return%s;\n}\n\n" % ("" if z is None else " " + z))


main()
