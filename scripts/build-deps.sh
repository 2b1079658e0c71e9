#!/usr/bin/env bash
# The C libraries the build links: libxml2 and xmlsec1 with OpenSSL for SAML signatures (samael
# through bindgen, which needs libclang), found by pkg-config. Installed with apt-get when
# missing; a fresh Debian machine has none of them. scripts/test.sh, scripts/serve.sh and
# .ci/run call it before building.
set -euo pipefail

missing=()
for lib in libxml-2.0 xmlsec1-openssl openssl; do
  if ! pkg-config --exists "$lib" 2>/dev/null; then missing+=("$lib"); fi
done
# libclang itself (bindgen loads it), not libclang-cpp, which other packages bring alone.
if ! ls /usr/lib/llvm-*/lib/libclang.so* >/dev/null 2>&1 && ! ls /usr/lib/x86_64-linux-gnu/libclang-[0-9]*.so* >/dev/null 2>&1; then
  missing+=(libclang)
fi
if [ ${#missing[@]} -eq 0 ] && command -v pkg-config >/dev/null; then
  exit 0
fi
echo "build-deps: installing ${missing[*]:-pkg-config} with apt-get" >&2
apt-get install -y pkg-config libxml2-dev libxmlsec1-dev libxmlsec1-openssl libssl-dev libclang-dev >/dev/null
