#!/usr/bin/env bash
# The test command: installs what ftpgate needs (Debian 12), builds, and runs every test.
#   sudo bash scripts/test.sh
# Environment: BUILD_DIR (default build), FTPGATE_SANITIZE=1 for an ASan+UBSan build,
# SKIP_INSTALL=1 to skip apt.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
if [ "${SKIP_INSTALL:-0}" != 1 ]; then bash "$top/scripts/install-deps.sh"; fi
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFTPGATE_SANITIZE="$([ "${FTPGATE_SANITIZE:-0}" = 1 ] && echo ON || echo OFF)" > /dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)"
