#!/usr/bin/env bash
# Installs what strata needs to build, test and benchmark, from Debian's packages.
# Boost 1.81 is the only Debian 12 Boost with Boost.JSON; never mix it with the 1.74 -dev packages.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
packages=(
  build-essential cmake ninja-build pkg-config git
  libgit2-dev libzstd-dev zstd zlib1g-dev libdeflate-dev libmbedtls-dev libssl-dev libutf8proc-dev libvalijson-dev
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev libboost-test1.81-dev
  # The sync tests' servers (tests/cli/server-lib.sh): lighttpd runs git http-backend,
  # sshd and ssh-keygen the ssh transport; git daemon comes with git.
  lighttpd openssh-server openssh-client
  # tests/cli/t2150: https through lighttpd's TLS module, with a certificate
  # openssl makes for the test.
  lighttpd-mod-openssl openssl
  # The man page tests (tests/cli/t1710, t1730): groff -ww lints the generated pages,
  # man -w finds them in an installed prefix (both absent from minimal images).
  groff-base man-db
  # tests/cli/t2120: strace shows which commands read the TLS CA bundle
  # (ca-certificates holds it; minimal images lack both).
  strace ca-certificates
  # The fuzz targets (tests/fuzz/, scripts/fuzz.sh): clang with libFuzzer's runtime.
  clang-14 libclang-rt-14-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # lighttpd and openssh-server are only run by the tests, on 127.0.0.1: keep
  # their packages from starting system services on every interface
  # (policy-rc.d exit 101: "action forbidden", for this install only).
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
  fi
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
