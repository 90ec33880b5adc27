#!/usr/bin/env bash
# Start-up without TLS (objects/git.cc): a command that does not reach a
# network leaves the system's CA bundle unread; a transport reads it before
# it connects, so https still checks certificates. Port 1 on 127.0.0.1 has
# no server: the connection is refused, after the bundle is loaded.
. "$(dirname "$0")/lib.sh"

# opened_ca CMD...: the CA bundle files CMD opened, one per line.
opened_ca() {
  strace -f -qq -e trace=openat -o "$TRASH/.strace" "$STRATA" "$@" >/dev/null 2>&1 || true
  grep -E '"/etc/ssl/[^"]*"' "$TRASH/.strace" | grep -v ENOENT || true
}

need_strace_and_bundle() {
  command -v strace >/dev/null || skip "strace is not installed (scripts/install-deps.sh installs it)"
  [ -f /etc/ssl/certs/ca-certificates.crt ] ||
    skip "no CA bundle at /etc/ssl/certs/ca-certificates.crt (package ca-certificates)"
  strace -f -qq -e trace=openat -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace refused)"
}

# What only an executable with libgit2 linked in does (cli/CMakeLists.txt).
need_libgit2_linked_in() {
  need_strace_and_bundle
  [ "${STRATA_LIBGIT2_LINKED_IN:-}" = 1 ] ||
    skip "this strata links Debian's shared libgit2 (-DSTRATA_STATIC_LIBGIT2=OFF or sanitizers)"
}

test_expect_success 'local commands do not read the CA bundle' '
  need_strace_and_bundle
  new_repo r
  strata set doc /a 1 >/dev/null
  for cmd in "get doc" "log" "set doc /a 2" "status" "verify"; do
    out=$(opened_ca $cmd)
    expect_eq "" "$out"
  done
'

# opened_libraries CMD...: the shared libraries CMD opened, one per line.
opened_libraries() {
  strace -f -qq -e trace=openat -o "$TRASH/.strace" "$STRATA" "$@" >/dev/null 2>&1 || true
  grep -v ENOENT "$TRASH/.strace" | grep -oE '"[^"]*\.so[.0-9]*"' | tr -d '"' || true
}

test_expect_success 'with libgit2 linked in, a local command maps only the C library' '
  need_libgit2_linked_in
  new_repo r3
  strata set doc /a 1 >/dev/null
  for cmd in "get doc" "set doc /a 2"; do
    libs=$(opened_libraries $cmd)
    expect_match "libc.so" "$libs"
    expect_eq "" "$(printf "%s\n" "$libs" | grep -E "libgit2|gssapi|krb5|ssh2|mbed|crypto|pcre2|libz\." || true)"
  done
'

# objects/ssh_on_demand.cc: the ssh transport loads libssh2.so.1 (and its
# libcrypto) when it starts; port 1 refuses the connection after that.
test_expect_success 'with libgit2 linked in, an ssh remote loads libssh2 on demand' '
  need_libgit2_linked_in
  new_repo r4
  strata set doc /a 1 >/dev/null
  libs=$(opened_libraries push ssh://git@127.0.0.1:1/x.git)
  expect_match "libssh2\.so\.1" "$libs" &&
  expect_fail 1 strata push ssh://git@127.0.0.1:1/x.git &&
  expect_no_match "initialize SSH session" "$(err)"
'

test_expect_success 'push and clone over https read it before they connect' '
  need_strace_and_bundle
  new_repo r2
  strata set doc /a 1 >/dev/null
  out=$(opened_ca push https://127.0.0.1:1/x.git)
  expect_match "ca-certificates.crt" "$out"
  cd "$TRASH"
  out=$(opened_ca clone https://127.0.0.1:1/x.git c)
  expect_match "ca-certificates.crt" "$out"
  expect_fail 1 strata clone https://127.0.0.1:1/x.git c2
  expect_match "Connection refused" "$(err)"
'

test_done
