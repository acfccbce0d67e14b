#!/bin/sh
# mendian-server links libmendian-core only: none of the branch's sync
# client, its spend protocol or the branch library's init may be in it; and
# neither the registry (mdn_ops_run, mdn_ops_lookup: every family) nor the
# checkout is in it (the core is built with one section per function,
# common/meson.build). The web console's head-office terminal runs the
# master-data families' operations through mdn_ops_run_def (their tables
# only, server/console/srv-console-hq.c): those may be in it.
# Under AddressSanitizer every global stays registered, and so linked, and
# the operations with it: there only the branch library is looked for.
#   server-no-branch.sh BUILD/server/mendian-server B_SANITIZE
set -eu
pattern='mdn_sync_|mdn_spend_|mdn_branch_init'
if [ "${2:-none}" = none ]; then
  pattern="$pattern|mdn_checkout_|mdn_ops_run\$|mdn_ops_lookup\$"
fi
found=$(nm "$1" | grep -E " [TtDdRrBb] ($pattern)" || true)
if [ -n "$found" ]; then
  echo "mendian-server contains the branch library, the registry or the checkout:"
  echo "$found"
  exit 1
fi
echo "mendian-server contains no branch symbol ($(nm "$1" | grep -c ' [Tt] mdn_') mdn_ functions)"
