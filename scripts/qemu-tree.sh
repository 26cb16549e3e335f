#!/bin/bash
# Create or check build/qemu: vmm/qemu's pinned source with its series
# (scripts/prepare-tree.sh on vmm/qemu).
set -eu
. "$(dirname "$0")/lib.sh"
[ "${1:-}" != -h ] || { echo "usage: $0 [-f] [-h]: scripts/prepare-tree.sh [-f] vmm/qemu"; exit 0; }
exec "$TOP/scripts/prepare-tree.sh" "$@" "$QSRC"
