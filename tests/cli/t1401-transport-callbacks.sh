#!/usr/bin/env bash
# TransportSession (repo/transport.cc) on real transfers: credentials, ssh
# host keys, progress, the size limit and interruption, through
# transport_probe (tests/sync/), which calls libgit2 directly, against git
# daemon, lighttpd + git http-backend and sshd on 127.0.0.1 (server-lib.sh).
case "${TRANSPORT_PROBE:-}" in "" | /*) ;; *) TRANSPORT_PROBE="$PWD/$TRANSPORT_PROBE" ;; esac
. "$(dirname "$0")/lib.sh"
. "$TEST_SRC_DIR/server-lib.sh"

PROBE=${TRANSPORT_PROBE:-$TEST_SRC_DIR/../../build/tests/sync/transport_probe}
if [ ! -x "$PROBE" ]; then
  echo "Bail out! transport_probe not found at $PROBE (set TRANSPORT_PROBE)"
  exit 1
fi
# Output of every probe run is kept, to search it for the password.
probe() { timeout 60 "$PROBE" "$@"; }
unset SSH_AUTH_SOCK STRATA_SSH_KEY STRATA_SSH_KNOWN_HOSTS STRATA_HTTP_USERNAME \
  STRATA_HTTP_PASSWORD GIT_ASKPASS SSH_ASKPASS 2>/dev/null || true

PASSWORD='pw-Qx7-unusual-9Zk'
WRONG='pw-wrong-Lm3-4Tr'
OUT="$TRASH/outputs"
mkdir -p "$OUT"

# The remote: a strata repository, served bare (srv/site.git -> site/.strata).
new_repo "$TRASH/site"
for i in 1 2 3 4 5 6; do
  echo "{\"name\":\"doc $i\",\"list\":[$i,$i,$i,\"$(printf '%0200d' "$i")\"]}" | strata put "d$i" - >/dev/null
done
cd "$TRASH"
serve_repo "$TRASH/site" "$TRASH/srv" site
site_main() { git --git-dir "$TRASH/site/.strata" rev-parse refs/heads/main; }

# A local repository with one more version, to push (a copy of the site).
cp -a "$TRASH/site" "$TRASH/work"
(cd "$TRASH/work" && echo '{"new":true}' | strata put added - >/dev/null)
work_main=$(git --git-dir "$TRASH/work/.strata" rev-parse refs/heads/main)

git_ok=1 http_ok=1 ssh_ok=1
start_git_daemon "$TRASH/srv" || git_ok=0
start_http_server "$TRASH/srv" alice "$PASSWORD" || http_ok=0
start_sshd || ssh_ok=0

# --- clone over each transport ------------------------------------------------------

if [ "$git_ok" = 1 ]; then
  test_expect_success 'clone over git:// brings the branch' '
    probe clone "$GIT_DAEMON_URL/site.git" c-git >"$OUT/git.out" 2>"$OUT/git.err"
    expect_match "^cloned [0-9]+ objects, [0-9]+ bytes$" "$(cat "$OUT/git.out")"
    expect_eq "$(site_main)" "$(git --git-dir c-git rev-parse refs/heads/main)"
    expect_eq "" "$(cat "$OUT/git.err")" "stderr without --progress"
  '
else
  test_skip 'clone over git:// brings the branch' "$SERVER_SKIP"
fi

if [ "$http_ok" = 1 ]; then
  test_expect_success 'clone over http:// needs no credential' '
    probe clone "$HTTP_URL/site.git" c-http >"$OUT/http.out" 2>"$OUT/http.err"
    expect_eq "$(site_main)" "$(git --git-dir c-http rev-parse refs/heads/main)"
  '
else
  test_skip 'clone over http:// needs no credential' "$SERVER_SKIP"
fi

# --- progress, the size limit, interruption -------------------------------------------

if [ "$git_ok" = 1 ]; then
  test_expect_success 'progress goes to stderr only when asked, with a rate' '
    probe clone "$GIT_DAEMON_URL/site.git" c-progress --progress >"$OUT/p.out" 2>"$OUT/p.err"
    expect_match "^cloned" "$(cat "$OUT/p.out")"
    # what each line shows last (redraws are \r-separated): one line per
    # phase, each ended once with "done."
    final=$(sed "s/.*\r//" "$OUT/p.err")
    expect_match "^Receiving objects: 100% \(([0-9]+)/\1\), [0-9.]+ (bytes|KiB|MiB) \| [0-9.]+ (bytes|KiB|MiB|GiB)/s, done\.$" "$(sed -n 1p <<<"$final")"
    line2=$(sed -n 2p <<<"$final")
    if [ -n "$line2" ]; then
      expect_match "^Resolving deltas: 100% \(([0-9]+)/\1\), done\.$" "$line2"
    fi
    expect_eq "" "$(sed -n "3,\$p" <<<"$final")" "no line after the phases"
    expect_eq "" "$(tail -c 1 "$OUT/p.err" | tr -d "\n")" "ends with a newline"
  '

  test_expect_success 'max_bytes stops a transfer and names the limit' '
    rc=0
    probe clone "$GIT_DAEMON_URL/site.git" c-limit --max-bytes 100 >"$OUT/l.out" 2>"$OUT/l.err" || rc=$?
    expect_eq 1 "$rc"
    expect_match "^transport_probe: error: the transfer from git://127\.0\.0\.1:[0-9]+/site\.git exceeded the limit of 100 bytes \([0-9]+ received\) and was stopped$" "$(cat "$OUT/l.err")"
    expect_eq "" "$(cat "$OUT/l.out")"
    # A limit above the size lets it through.
    probe clone "$GIT_DAEMON_URL/site.git" c-limit2 --max-bytes 100000000 >/dev/null
  '

  test_expect_success 'SIGINT before the transfer stops it with an error, not a kill' '
    rc=0
    probe clone "$GIT_DAEMON_URL/site.git" c-int --interrupt >"$OUT/i.out" 2>"$OUT/i.err" || rc=$?
    expect_eq 1 "$rc"
    expect_match "^transport_probe: error: interrupted by SIGINT: the transfer with git://127\.0\.0\.1:[0-9]+/site\.git stopped before it completed; run the command again to complete it$" "$(cat "$OUT/i.err")"
  '

  test_expect_success 'a second SIGINT ends the process as usual' '
    rc=0
    probe clone "$GIT_DAEMON_URL/site.git" c-int2 --interrupt-twice >"$OUT/i2.out" 2>"$OUT/i2.err" || rc=$?
    expect_eq 130 "$rc" "killed by SIGINT (timeout reports 128+2)"
    expect_eq "" "$(cat "$OUT/i2.out")"
    [ ! -e c-int2 ]
  '

  test_expect_success 'a server that is not there: the error asks whether one listens' '
    port=$(free_port)
    rc=0
    probe clone "git://127.0.0.1:$port/site.git" c-none >"$OUT/n.out" 2>"$OUT/n.err" || rc=$?
    expect_eq 1 "$rc"
    expect_match "is a server listening at 127\.0\.0\.1:$port\?" "$(cat "$OUT/n.err")"
  '
else
  for t in progress max_bytes SIGINT 'second SIGINT' 'no server'; do test_skip "$t over git://" "$SERVER_SKIP"; done
fi

# --- push over http: basic authentication ---------------------------------------------

if [ "$http_ok" = 1 ]; then
  http_host=${HTTP_URL#http://}
  http_host=${http_host%%/*}

  test_expect_success 'push over http without a credential fails and says how to give one' '
    before=$(site_main)
    rc=0
    probe push "$TRASH/work/.strata" "$HTTP_URL/site.git" refs/heads/main:refs/heads/main \
      >"$OUT/h1.out" 2>"$OUT/h1.err" || rc=$?
    expect_eq 1 "$rc"
    expect_eq "transport_probe: error: $HTTP_URL/site.git asks for a user name and password and none was found: set \$STRATA_HTTP_USERNAME and \$STRATA_HTTP_PASSWORD, or configure a git credential helper (git config --global credential.helper store)" "$(cat "$OUT/h1.err")"
    expect_eq "$before" "$(site_main)"
  '

  test_expect_success 'a wrong password is refused once, in bounded time' '
    before=$(site_main)
    rc=0
    STRATA_HTTP_USERNAME=alice STRATA_HTTP_PASSWORD="$WRONG" timeout 30 "$PROBE" push \
      "$TRASH/work/.strata" "$HTTP_URL/site.git" refs/heads/main:refs/heads/main \
      >"$OUT/h2.out" 2>"$OUT/h2.err" || rc=$?
    expect_eq 1 "$rc"
    expect_match "^transport_probe: error: authentication to $HTTP_URL/site\.git failed: the server refused \\\$STRATA_HTTP_USERNAME/\\\$STRATA_HTTP_PASSWORD \(tried once\); check the user name and password$" "$(cat "$OUT/h2.err")"
    expect_eq "$before" "$(site_main)"
  '

  test_expect_success 'push over http with the environment'"'"'s credential' '
    STRATA_HTTP_USERNAME=alice STRATA_HTTP_PASSWORD="$PASSWORD" probe push \
      "$TRASH/work/.strata" "$HTTP_URL/site.git" refs/heads/main:refs/heads/main \
      >"$OUT/h3.out" 2>"$OUT/h3.err"
    expect_eq "pushed refs/heads/main" "$(cat "$OUT/h3.out")"
    expect_eq "$work_main" "$(site_main)"
    git --git-dir "$TRASH/site/.strata" update-ref refs/heads/main "$work_main~1"
  '

  test_expect_success 'push over http with git'"'"'s credential store helper' '
    git config --global credential.helper "store --file $TRASH/cred-store"
    printf "http://alice:%s@%s\n" "$PASSWORD" "$http_host" >"$TRASH/cred-store"
    probe push "$TRASH/work/.strata" "$HTTP_URL/site.git" refs/heads/main:refs/heads/main \
      >"$OUT/h4.out" 2>"$OUT/h4.err"
    expect_eq "pushed refs/heads/main" "$(cat "$OUT/h4.out")"
    expect_eq "$work_main" "$(site_main)"
    # approve stored it again (git credential-store writes the port'"'"'s colon as %3a)
    expect_match "^http://alice:$PASSWORD@127\.0\.0\.1(:|%3a)${http_host#*:}$" "$(cat "$TRASH/cred-store")"
    expect_ne "http://alice:$PASSWORD@$http_host" "$(cat "$TRASH/cred-store")"
    git --git-dir "$TRASH/site/.strata" update-ref refs/heads/main "$work_main~1"
    git config --global --unset credential.helper
  '

  test_expect_success 'a wrong password from the environment and the helper: each tried once, the helper'"'"'s rejected' '
    # git credential-store, with a log of how often it was asked
    printf "#!/bin/sh\necho \"\$1\" >>\"%s\"\nexec git credential-store --file \"%s\" \"\$1\"\n" \
      "$TRASH/helper-calls" "$TRASH/cred-store-bad" >"$TRASH/log-helper"
    chmod +x "$TRASH/log-helper"
    git config --global credential.helper "$TRASH/log-helper"
    printf "http://alice:%s@%s\n" "$WRONG" "$http_host" >"$TRASH/cred-store-bad"
    before=$(site_main)
    rc=0
    STRATA_HTTP_USERNAME=alice STRATA_HTTP_PASSWORD="$WRONG" timeout 30 "$PROBE" push \
      "$TRASH/work/.strata" "$HTTP_URL/site.git" refs/heads/main:refs/heads/main \
      >"$OUT/h5.out" 2>"$OUT/h5.err" || rc=$?
    git config --global --unset credential.helper
    expect_eq 1 "$rc"
    expect_match "failed: the server refused \\\$STRATA_HTTP_USERNAME/\\\$STRATA_HTTP_PASSWORD and git.s credential helper \(each tried once\)" "$(cat "$OUT/h5.err")"
    expect_eq "$before" "$(site_main)"
    # asked once, then told to forget it (git credential reject): no loop
    expect_eq "get erase" "$(echo $(cat "$TRASH/helper-calls"))"
    expect_eq "" "$(cat "$TRASH/cred-store-bad")"
  '

  test_expect_success 'one session, two connections: the accepted credential is offered again' '
    STRATA_HTTP_USERNAME=alice STRATA_HTTP_PASSWORD="$PASSWORD" probe ls-twice push \
      "$HTTP_URL/site.git" >"$OUT/h8.out" 2>"$OUT/h8.err"
    expect_eq "1 refs/heads/main
2 refs/heads/main" "$(cat "$OUT/h8.out")"
  '

  test_expect_success 'a password in the URL is used and never shown' '
    git --git-dir "$TRASH/site/.strata" update-ref refs/heads/main "$work_main~1"
    probe push "$TRASH/work/.strata" "http://alice:$PASSWORD@$http_host/git/site.git" \
      refs/heads/main:refs/heads/main >"$OUT/h6.out" 2>"$OUT/h6.err"
    expect_eq "$work_main" "$(site_main)"
    git --git-dir "$TRASH/site/.strata" update-ref refs/heads/main "$work_main~1"
    rc=0
    probe push "$TRASH/work/.strata" "http://alice:$WRONG@$http_host/git/nothere.git" \
      refs/heads/main:refs/heads/main >"$OUT/h7.out" 2>"$OUT/h7.err" || rc=$?
    expect_eq 1 "$rc"
    expect_eq "transport_probe: error: authentication to http://alice@$http_host/git/nothere.git failed: the server refused the password in the URL (tried once); check the user name and password" "$(cat "$OUT/h7.err")"
  '
else
  for t in 'no credential' 'wrong password' 'env credential' 'store helper' 'both wrong' 'two connections' 'URL password'; do
    test_skip "push over http: $t" "$SERVER_SKIP"
  done
fi

# --- ssh: host keys and keys ------------------------------------------------------------

if [ "$ssh_ok" = 1 ]; then
  SSH_SITE="$SSH_URL$TRASH/srv/site.git"
  mkdir -p "$HOME/.ssh"

  test_expect_success 'ssh with an unknown host key is refused, naming the host' '
    : >"$HOME/.ssh/known_hosts"
    rc=0
    STRATA_SSH_KEY="$SSH_CLIENT_KEY" probe clone "$SSH_SITE" c-ssh0 >"$OUT/s1.out" 2>"$OUT/s1.err" || rc=$?
    expect_eq 1 "$rc"
    expect_match "^transport_probe: error: the ssh host key of \[127\.0\.0\.1\]:$SSHD_PORT \(ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}\) is not in $HOME/\.ssh/known_hosts: check its fingerprint with the server.s administrator, then add it with .ssh-keyscan -p $SSHD_PORT 127\.0\.0\.1 >> ~/\.ssh/known_hosts.$" "$(cat "$OUT/s1.err")"
    # the fingerprint is the real one
    fp=$(ssh-keygen -l -f "$TRASH/.sshd/host_ed25519.pub" | cut -d" " -f2)
    expect_eq "$fp" "$(grep -o "SHA256:[A-Za-z0-9+/]*" "$OUT/s1.err")"
  '

  test_expect_success 'ssh with another key for the host is refused as changed' '
    ssh-keygen -q -t ed25519 -N "" -f "$TRASH/other_host_key"
    echo "[127.0.0.1]:$SSHD_PORT $(cut -d" " -f1-2 "$TRASH/other_host_key.pub")" >"$HOME/.ssh/known_hosts"
    rc=0
    STRATA_SSH_KEY="$SSH_CLIENT_KEY" probe clone "$SSH_SITE" c-ssh1 >"$OUT/s2.out" 2>"$OUT/s2.err" || rc=$?
    expect_eq 1 "$rc"
    expect_match "the ssh host key of \[127\.0\.0\.1\]:$SSHD_PORT \(ssh-ed25519 SHA256:.*\) does not match the one for it in $HOME/\.ssh/known_hosts" "$(cat "$OUT/s2.err")"
  '

  test_expect_success 'ssh with the host key in $STRATA_SSH_KNOWN_HOSTS and the key in $STRATA_SSH_KEY' '
    : >"$HOME/.ssh/known_hosts"
    echo "$SSH_KNOWN_HOSTS_LINE" >"$TRASH/known_hosts"
    STRATA_SSH_KNOWN_HOSTS="$TRASH/known_hosts" STRATA_SSH_KEY="$SSH_CLIENT_KEY" \
      probe clone "$SSH_SITE" c-ssh2 >"$OUT/s3.out" 2>"$OUT/s3.err"
    expect_eq "$(site_main)" "$(git --git-dir c-ssh2 rev-parse refs/heads/main)"
  '

  test_expect_success 'ssh with a hashed known_hosts entry and ~/.ssh/id_ed25519' '
    echo "$SSH_KNOWN_HOSTS_LINE" >"$HOME/.ssh/known_hosts"
    ssh-keygen -q -H -f "$HOME/.ssh/known_hosts" 2>/dev/null
    rm -f "$HOME/.ssh/known_hosts.old"
    expect_match "^\|1\|" "$(cat "$HOME/.ssh/known_hosts")"
    cp "$SSH_CLIENT_KEY" "$HOME/.ssh/id_ed25519"
    cp "$SSH_CLIENT_KEY.pub" "$HOME/.ssh/id_ed25519.pub"
    probe clone "$SSH_SITE" c-ssh3 >"$OUT/s4.out" 2>"$OUT/s4.err"
    expect_eq "$(site_main)" "$(git --git-dir c-ssh3 rev-parse refs/heads/main)"
    rm "$HOME/.ssh/id_ed25519" "$HOME/.ssh/id_ed25519.pub"
  '

  test_expect_success 'ssh with a key the server does not know: refused once, named' '
    echo "$SSH_KNOWN_HOSTS_LINE" >"$HOME/.ssh/known_hosts"
    ssh-keygen -q -t ed25519 -N "" -f "$TRASH/stranger"
    rc=0
    STRATA_SSH_KEY="$TRASH/stranger" timeout 30 "$PROBE" clone "$SSH_SITE" c-ssh4 \
      >"$OUT/s5.out" 2>"$OUT/s5.err" || rc=$?
    expect_eq 1 "$rc"
    expect_eq "transport_probe: error: authentication to $SSH_SITE failed: the server refused \$STRATA_SSH_KEY ($TRASH/stranger) (tried once); check that the server has your public key" "$(cat "$OUT/s5.err")"
  '

  test_expect_success 'ssh with no key at all says where keys are looked for' '
    rc=0
    probe clone "$SSH_SITE" c-ssh5 >"$OUT/s6.out" 2>"$OUT/s6.err" || rc=$?
    expect_eq 1 "$rc"
    expect_match "^transport_probe: error: $SSH_SITE asks for an ssh key and none was found: start an ssh agent" "$(cat "$OUT/s6.err")"
  '

  test_expect_success 'push over ssh, with progress' '
    git --git-dir "$TRASH/site/.strata" update-ref refs/heads/main "$work_main~1"
    STRATA_SSH_KEY="$SSH_CLIENT_KEY" probe push "$TRASH/work/.strata" "$SSH_SITE" \
      refs/heads/main:refs/heads/main --progress >"$OUT/s7.out" 2>"$OUT/s7.err"
    expect_eq "pushed refs/heads/main" "$(cat "$OUT/s7.out")"
    expect_eq "$work_main" "$(site_main)"
    expect_match "^Writing objects: 100% \([0-9]+/[0-9]+\), [0-9.]+ (bytes|KiB) \| [0-9.]+ (bytes|KiB|MiB|GiB)/s, done\.$" \
      "$(tr "\r" "\n" <"$OUT/s7.err")"
  '

  test_expect_success 'ssh: one session, two connections: the accepted key is offered again' '
    STRATA_SSH_KEY="$SSH_CLIENT_KEY" probe ls-twice fetch "$SSH_SITE" >"$OUT/s12.out" 2>"$OUT/s12.err"
    expect_eq "1 refs/heads/main
2 refs/heads/main" "$(cat "$OUT/s12.out")"
  '

  test_expect_success 'ssh without a user in the URL logs in as the current user' '
    STRATA_SSH_KEY="$SSH_CLIENT_KEY" probe clone "ssh://127.0.0.1:$SSHD_PORT$TRASH/srv/site.git" c-ssh6 \
      >"$OUT/s8.out" 2>"$OUT/s8.err"
    expect_eq "$(site_main)" "$(git --git-dir c-ssh6 rev-parse refs/heads/main)"
  '

  if command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null; then
    ssh-agent -D -a "$TRASH/agent.sock" >/dev/null 2>&1 &
    SERVER_PIDS+=("$!")
    # Until the agent answers: its socket file exists before it listens, and
    # under load ssh-add could connect in between (exit 2, "cannot connect").
    for i in $(seq 1 200); do
      rc=0
      SSH_AUTH_SOCK="$TRASH/agent.sock" ssh-add -l >/dev/null 2>&1 || rc=$?
      [ "$rc" -ne 2 ] && break
      sleep 0.1
    done
    test_expect_success 'ssh through the agent; a key it holds that the server refuses is tried once, then $STRATA_SSH_KEY' '
      export SSH_AUTH_SOCK="$TRASH/agent.sock"
      ssh-add "$TRASH/stranger" 2>/dev/null
      rc=0
      probe clone "$SSH_SITE" c-ssh7 >"$OUT/s9.out" 2>"$OUT/s9.err" || rc=$?
      expect_eq 1 "$rc"
      expect_eq "transport_probe: error: authentication to $SSH_SITE failed: the server refused the ssh agent (tried once); check that the server has your public key" "$(cat "$OUT/s9.err")"
      STRATA_SSH_KEY="$SSH_CLIENT_KEY" probe clone "$SSH_SITE" c-ssh8 >"$OUT/s10.out" 2>"$OUT/s10.err"
      expect_eq "$(site_main)" "$(git --git-dir c-ssh8 rev-parse refs/heads/main)"
      ssh-add -D 2>/dev/null
      ssh-add "$SSH_CLIENT_KEY" 2>/dev/null
      probe clone "$SSH_SITE" c-ssh9 >"$OUT/s11.out" 2>"$OUT/s11.err"
      expect_eq "$(site_main)" "$(git --git-dir c-ssh9 rev-parse refs/heads/main)"
    '
  else
    test_skip 'ssh through the agent' 'no ssh-agent (package openssh-client)'
  fi
else
  for t in 'unknown host' 'changed host' 'known host' 'hashed host' 'unknown key' 'no key' push 'two connections' 'no user' agent; do
    test_skip "ssh: $t" "$SERVER_SKIP"
  done
fi

# --- local transports and push rejections ---------------------------------------------------

test_expect_success 'libgit2 pushes into a strata repository by path and file://, and strata reads it' '
  git --git-dir "$TRASH/site/.strata" update-ref refs/heads/main "$work_main~1"
  probe push "$TRASH/work/.strata" "$TRASH/site/.strata" refs/heads/main:refs/heads/main >"$OUT/f1.out" 2>&1
  expect_eq "pushed refs/heads/main" "$(cat "$OUT/f1.out")"
  expect_eq "$work_main" "$(site_main)"
  expect_eq "{\"new\":true}" "$(cd "$TRASH/site" && strata get added)"
  git --git-dir "$TRASH/site/.strata" update-ref refs/heads/main "$work_main~1"
  probe push "$TRASH/work/.strata" "file://$TRASH/site/.strata" refs/heads/main:refs/heads/main >"$OUT/f2.out" 2>&1
  expect_eq "$work_main" "$(site_main)"
  (cd "$TRASH/site" && strata verify >/dev/null)
'

test_expect_success 'a push that is not a fast-forward comes back as a rejected ref' '
  git --git-dir "$TRASH/site/.strata" update-ref refs/heads/main "$work_main"
  (cd "$TRASH/site" && echo "{\"x\":1}" | strata put other - >/dev/null)
  before=$(site_main)
  rc=0
  probe push "$TRASH/work/.strata" "file://$TRASH/site/.strata" refs/heads/main:refs/heads/main \
    >"$OUT/f3.out" 2>"$OUT/f3.err" || rc=$?
  expect_eq "$before" "$(site_main)"
  expect_eq 1 "$rc"
  expect_eq "transport_probe: error: push: cannot push because a reference that you are trying to update on the remote contains commits that are not present locally. (the remote has versions this repository does not have: pull first, then push)" "$(cat "$OUT/f3.err")"
'

# --- no credential anywhere ------------------------------------------------------------

test_expect_success 'the password never appears in output or in any repository' '
  for secret in "$PASSWORD" "$WRONG"; do
    expect_eq "" "$(grep -rlF -- "$secret" "$OUT" || true)" "outputs holding $secret"
    for dir in "$TRASH/site" "$TRASH/work" "$TRASH"/c-*; do
      [ -e "$dir" ] || continue
      expect_eq "" "$(grep -rlaF -- "$secret" "$dir" || true)" "$dir holding $secret"
    done
  done
  # ...while the search itself can find it (the store file holds it).
  [ "$http_ok" = 0 ] || grep -qF -- "$PASSWORD" "$TRASH/cred-store"
'

test_done
