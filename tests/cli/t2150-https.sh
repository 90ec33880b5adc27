#!/usr/bin/env bash
# https with a real TLS server (lighttpd + mod_openssl + git http-backend on
# 127.0.0.1, a self-signed certificate made for the test): the certificate
# is checked against the system's authorities, so the clone is refused;
# GIT_SSL_CAINFO names the authority to trust instead, as for git, and then
# clone and fetch work. This drives the TLS stack the executable links in
# (mbedTLS, objects/git.cc's deferred set-up) through a whole handshake.
. "$(dirname "$0")/lib.sh"
. "$TEST_SRC_DIR/server-lib.sh"

unset GIT_SSL_CAINFO GIT_SSL_CAPATH 2>/dev/null || true

new_repo "$TRASH/site"
echo '{"a":1}' | strata put d1 - >/dev/null
cd "$TRASH"
serve_repo "$TRASH/site" "$TRASH/srv" site

if start_https_server "$TRASH/srv"; then
  test_expect_success 'https: a certificate no authority vouches for is refused' '
    expect_fail 1 strata clone "$HTTPS_URL/site.git" "$TRASH/refused"
    expect_match "certificate" "$(err)"
    expect_match "GIT_SSL_CAINFO" "$(err)"
    [ ! -e "$TRASH/refused/.strata/refs/heads/main" ]
  '

  test_expect_success 'https: GIT_SSL_CAINFO names the authority to trust' '
    GIT_SSL_CAINFO="$HTTPS_CA" strata clone "$HTTPS_URL/site.git" "$TRASH/trusted" >/dev/null
    cd "$TRASH/trusted"
    expect_eq "{\"a\":1}" "$(strata get d1)"
    cd "$TRASH/site"
    strata set d1 /a 2 >/dev/null
    cd "$TRASH/trusted"
    GIT_SSL_CAINFO="$HTTPS_CA" strata pull >/dev/null
    expect_eq "{\"a\":2}" "$(strata get d1)"
  '

  test_expect_success 'https: a GIT_SSL_CAINFO that cannot be read stops before connecting' '
    cd "$TRASH"
    GIT_SSL_CAINFO="$TRASH/no-such-ca.pem" expect_fail 1 strata clone "$HTTPS_URL/site.git" c3
    expect_match "no-such-ca.pem" "$(err)"
  '
else
  test_skip "https://" "$SERVER_SKIP"
fi

test_done
