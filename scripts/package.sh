#!/usr/bin/env bash
# Builds the Debian package: a release build in build-package/, then cpack -G DEB.
#   scripts/package.sh            -> prints the path of build-package/ftpgate_VERSION_ARCH.deb
# Install it with: apt install ./build-package/ftpgate_*.deb
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$top" -B "$top/build-package" -DCMAKE_BUILD_TYPE=Release -DFTPGATE_TESTS=OFF > /dev/null
cmake --build "$top/build-package" -j "$(nproc)" > /dev/null
(cd "$top/build-package" && cpack -G DEB > /dev/null)
ls "$top"/build-package/ftpgate_*.deb
