#!/bin/sh
# mendian-server links libmendian-core only: none of the branch's sync
# client, its spend protocol or the branch library's init may be in it; and
# it runs no operation, so neither the registry nor the checkout is in it
# (the core is built with one section per function, common/meson.build).
#   server-no-branch.sh BUILD/server/mendian-server
set -eu
found=$(nm "$1" | grep -E ' [TtDdRrBb] (mdn_sync_|mdn_spend_|mdn_branch_init|mdn_checkout_|mdn_ops_run)' || true)
if [ -n "$found" ]; then
  echo "mendian-server contains the branch library, the registry or the checkout:"
  echo "$found"
  exit 1
fi
echo "mendian-server contains no branch symbol ($(nm "$1" | grep -c ' [Tt] mdn_') mdn_ functions)"
