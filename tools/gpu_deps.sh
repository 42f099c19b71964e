#!/usr/bin/env bash
# The GPU machine lacks three of Debian's development libraries vltune builds with: RE2 (adapter
# target_modules regexes), PCRE2 and ICU (tokenizer.json); gmock's headers (the tests' matchers) travel
# too, for where its GoogleTest has none. It cannot reach a package server, so
# they travel as Debian 12 packages in .deps/ (git-ignored; carry it in the device call).
#   here:  bash tools/gpu_deps.sh fetch            downloads the packages into .deps/
#   there: eval "$(bash tools/gpu_deps.sh install)" unpacks them into /opt/vltune-deps and prints
#          the exports that let CMake (pkg-config) and the built programs find them.
set -euo pipefail
packages="libre2-9 libre2-dev libpcre2-dev libpcre2-8-0 libpcre2-16-0 libpcre2-32-0 libpcre2-posix3 libicu-dev libicu72 libgmock-dev"
root=/opt/vltune-deps
case "${1:-}" in
  fetch)
    mkdir -p .deps
    (cd .deps && apt-get download $packages)
    grep -qx '/.deps/' .git/info/exclude 2>/dev/null || echo '/.deps/' >> .git/info/exclude
    ;;
  install)
    [ -d .deps ] || { echo "gpu_deps: no .deps/ (run 'bash tools/gpu_deps.sh fetch' here and carry .deps)" >&2; exit 1; }
    mkdir -p "$root"
    for deb in .deps/*.deb; do dpkg -x "$deb" "$root"; done
    lib="$root/usr/lib/x86_64-linux-gnu"
    sed -i -E "s#^(prefix|exec_prefix|includedir|libdir) *= */usr#\1=$root/usr#" "$lib"/pkgconfig/*.pc
    echo "export PKG_CONFIG_PATH=$lib/pkgconfig\${PKG_CONFIG_PATH:+:\$PKG_CONFIG_PATH}"
    echo "export LD_LIBRARY_PATH=$lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
    ;;
  *) echo "usage: bash tools/gpu_deps.sh fetch|install" >&2; exit 2 ;;
esac
