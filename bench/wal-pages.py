#!/usr/bin/env python3
"""wal-pages.py DB WAL: which table or index each WAL frame of WAL wrote,
per commit on average (bench-sale with BENCH_SALE_KEEP=1 leaves both)."""
import collections, sqlite3, struct, sys

db, wal = sys.argv[1], sys.argv[2]
data = open(wal, 'rb').read()
page_size = struct.unpack('>I', data[8:12])[0]
frames, commits = [], 0
off = 32
while off + 24 + page_size <= len(data):
    pgno, commit_size = struct.unpack('>II', data[off:off + 8])
    frames.append(pgno)
    if commit_size:
        commits += 1
    off += 24 + page_size
con = sqlite3.connect(db)
owner = {}
try:
    for name, pgno in con.execute('SELECT name, pageno FROM dbstat'):
        owner[pgno] = name
except sqlite3.OperationalError as e:
    sys.exit('no dbstat: %s' % e)
count = collections.Counter(owner.get(p, 'page 1' if p == 1 else 'free/other') for p in frames)
print('%d frames, %d commits, %.2f per commit' % (len(frames), commits, len(frames) / max(commits, 1)))
for name, n in count.most_common():
    print('%6.2f  %s' % (n / max(commits, 1), name))
