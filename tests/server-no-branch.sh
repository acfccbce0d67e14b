#!/bin/sh
# mendian-server links libmendian-core only: none of the branch's sync
# client, its spend protocol or the branch library's init may be in it.
#   server-no-branch.sh BUILD/server/mendian-server
set -eu
found=$(nm "$1" | grep -E ' [TtDdRrBb] (mdn_sync_|mdn_spend_|mdn_branch_init)' || true)
if [ -n "$found" ]; then
  echo "mendian-server contains the branch library:"
  echo "$found"
  exit 1
fi
echo "mendian-server contains no branch symbol ($(nm "$1" | grep -c ' T mdn_') mdn_ functions)"
