#!/usr/bin/env python3
"""The layers of common/ call only downwards.

    base < ledger < members < catalog < stock < selling < reports < crm < ops < sync

A file may include the headers of its own folder and of lower ones. Given
static libraries (libmendian-core.a, libmendian-branch.a), their objects are
checked too: an object may only use symbols defined in its own folder or a
lower one. On failure the offending edges and the whole folder graph are
printed.

    check-layers.py COMMON_DIR [LIB.a ...]
"""
import collections
import os
import re
import subprocess
import sys

# The one order. The domains form a chain so that they stay acyclic:
# members (cards, staff) < catalog (products, master data) < stock (receive,
# counts, transfers: the checkout warns through it) < selling (the
# checkout and what uses it) < reports (reads everything).
LAYERS = ["base", "ledger", "members", "catalog", "stock", "selling", "reports", "crm", "ops", "sync"]
RANK = {name: i for i, name in enumerate(LAYERS)}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    top = argv[1]
    folder_of = {}            # file name -> folder
    for folder in os.listdir(top):
        path = os.path.join(top, folder)
        if not os.path.isdir(path):
            continue
        if folder not in RANK:
            print(f"check-layers: common/{folder}/ is not a known layer; add it to LAYERS")
            return 1
        for name in os.listdir(path):
            if name.endswith((".c", ".h")):
                if name in folder_of:
                    print(f"check-layers: {name} exists twice")
                    return 1
                folder_of[name] = folder
    stray = [n for n in os.listdir(top) if n.endswith((".c", ".h"))]
    if stray:
        print("check-layers: files outside a layer folder: " + " ".join(sorted(stray)))
        return 1

    bad = []
    edges = collections.defaultdict(set)       # folder -> {folder}
    for name, folder in sorted(folder_of.items()):
        text = open(os.path.join(top, folder, name), encoding="utf-8").read()
        for header in INCLUDE.findall(text):
            to = folder_of.get(os.path.basename(header))
            if to is None or to == folder:
                continue
            edges[folder].add(to)
            if RANK[to] > RANK[folder]:
                bad.append(f"{folder}/{name} includes {to}/{header}")

    n_objects = 0
    defined = {}                               # symbol -> (folder, file)
    used = collections.defaultdict(set)        # (folder, file) -> {symbol}
    for lib in argv[2:]:
        out = subprocess.run(["nm", "-A", lib], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            where, _, rest = line.rpartition(":")
            obj = os.path.basename(where.rsplit(":", 1)[-1])
            parts = rest.split()
            src = re.sub(r"\.c\.o$", ".c", obj.split("_", 1)[-1])
            folder = folder_of.get(src)
            if folder is None:
                continue
            if len(parts) == 3 and parts[1] in "TDRBC":
                defined[parts[2]] = (folder, src)
            elif len(parts) == 2 and parts[0] == "U":
                used[(folder, src)].add(parts[1])
    n_objects = len(used)
    for (folder, src), symbols in sorted(used.items()):
        for sym in sorted(symbols):
            d = defined.get(sym)
            if d is None or d[0] == folder:
                continue
            edges[folder].add(d[0])
            if RANK[d[0]] > RANK[folder]:
                bad.append(f"{folder}/{src} calls {sym} of {d[0]}/{d[1]}")

    if bad:
        print("check-layers: a lower layer uses a higher one:")
        for b in bad:
            print("  " + b)
        print("the folder graph (an arrow: uses):")
        for folder in LAYERS:
            targets = sorted(edges.get(folder, ()), key=RANK.get)
            print(f"  {folder:8} -> {' '.join(targets) if targets else '(nothing)'}")
        return 1
    print(f"check-layers: {len(folder_of)} files, {n_objects} objects, "
          f"one direction: {' < '.join(LAYERS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
