#!/bin/sh
# mendian-server links libmendian-core only: none of the branch's sync
# client, its spend protocol or the branch library's init may be in it; and
# it runs no operation, so neither the registry nor the checkout is in it
# (the core is built with one section per function, common/meson.build).
# Under AddressSanitizer every global stays registered, and so linked, and
# the operations with it: there only the branch library is looked for.
#   server-no-branch.sh BUILD/server/mendian-server B_SANITIZE
set -eu
pattern='mdn_sync_|mdn_spend_|mdn_branch_init'
if [ "${2:-none}" = none ]; then
  pattern="$pattern|mdn_checkout_|mdn_ops_run"
fi
found=$(nm "$1" | grep -E " [TtDdRrBb] ($pattern)" || true)
if [ -n "$found" ]; then
  echo "mendian-server contains the branch library, the registry or the checkout:"
  echo "$found"
  exit 1
fi
echo "mendian-server contains no branch symbol ($(nm "$1" | grep -c ' [Tt] mdn_') mdn_ functions)"
