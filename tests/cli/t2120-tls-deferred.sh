#!/usr/bin/env bash
# Start-up without TLS (objects/git.cc): a command that does not reach a
# network leaves the system's CA bundle unread and mbedTLS's random generator
# unseeded; a transport reads the bundle before it connects, so https still
# checks certificates, and the generator is seeded before its first output,
# the TLS hello. Port 1 on 127.0.0.1 has no server: the connection is
# refused, after the bundle is loaded.
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

# seeds CMD...: how many times CMD drew a seed for mbedTLS's generator (its
# entropy poll reads 128 bytes of getrandom; nothing else of strata's does).
seeds() {
  strace -f -qq -e trace=getrandom -o "$TRASH/.strace" "$STRATA" "$@" >/dev/null 2>&1 || true
  grep -c 'getrandom(.*, 128, ' "$TRASH/.strace" || true
}

test_expect_success 'local commands do not read the CA bundle nor seed TLS randomness' '
  need_strace_and_bundle
  new_repo r
  strata set doc /a 1 >/dev/null
  for cmd in "get doc" "log" "set doc /a 2" "status" "verify"; do
    out=$(opened_ca $cmd)
    expect_eq "" "$out"
    expect_eq 0 "$(seeds $cmd)"
  done
'

test_expect_success 'https seeds the random generator once, before its hello' '
  need_strace_and_bundle
  new_repo r3
  strata set doc /a 1 >/dev/null
  # A listener that takes one connection, reads what comes and closes it.
  python3 -c "
import socket
s = socket.socket()
s.bind((\"127.0.0.1\", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.settimeout(60)
try:
    c.recv(65536)
finally:
    c.close()
" >port &
  listener=$!
  for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
  port=$(cat port)
  strace -f -qq -e trace=getrandom,connect,write,sendto,sendmsg -o "$TRASH/.strace" \
    "$STRATA" push "https://127.0.0.1:$port/x.git" >/dev/null 2>&1 || true
  wait $listener || true
  # The line of the connection to the listener, of the 128-byte seed, and of
  # the first thing sent on that socket (the TLS hello).
  read -r connected fd < <(grep -n "connect(.*htons($port)" "$TRASH/.strace" |
    sed -E "s/^([0-9]+):.*connect\(([0-9]+),.*/\1 \2/" | head -1)
  seeded=$(grep -n "getrandom(.*, 128, " "$TRASH/.strace" | cut -d: -f1 | head -1)
  hello=$(grep -nE "(write|sendto|sendmsg)\($fd," "$TRASH/.strace" |
    cut -d: -f1 | awk -v c="$connected" "\$1 > c" | head -1)
  [ -n "$connected" ] && [ -n "$seeded" ] && [ -n "$hello" ] || {
    cat "$TRASH/.strace"
    false
  }
  expect_eq 1 "$(grep -c "getrandom(.*, 128, " "$TRASH/.strace")"
  [ "$seeded" -gt "$connected" ]
  [ "$seeded" -lt "$hello" ]
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
