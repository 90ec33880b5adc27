# Real git servers for the sync tests, on 127.0.0.1 only: sourced after lib.sh.
#
#   . "$(dirname "$0")/lib.sh"
#   . "$TEST_SRC_DIR/server-lib.sh"
#   if start_git_daemon "$TRASH/srv"; then ... "$GIT_DAEMON_URL/site.git" ...
#   else test_skip 'clone over git://' "$SERVER_SKIP"; fi
#
# Each start_* runs its server in the background on a port the kernel chose
# (retrying on a clash), with every file it needs (configuration, keys, logs,
# pid file) in a folder of $TRASH, so tests running at the same time never
# share one. It waits until the server answers, prints "# NAME at URL" (a TAP
# comment) and sets the variables named below. When the server's program is
# not installed it sets $SERVER_SKIP to the reason and returns 77: call it
# outside a test body and mark the tests that need it with test_skip (or, in
# a body, `skip "$SERVER_SKIP"`). scripts/install-deps.sh installs them all.
# Set STRATA_REQUIRE_SERVERS=1 to turn a missing server into a failure (CI).
# The servers stop when the script exits (stop_servers runs before lib.sh's
# cleanup). Call them from the script, not in a test body: a body is a
# subshell, and what it starts would outlive it unseen.
#
# Programs: git (git daemon, git http-backend), python3 (free ports),
# lighttpd (HTTP), /usr/sbin/sshd and ssh-keygen (ssh).

SERVER_PIDS=()
SERVER_SKIP=""

stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${SERVER_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  SERVER_PIDS=()
}
trap 'stop_servers; cleanup' EXIT

# A port nobody listens on now (the kernel's choice). Another process may
# take it before the server binds it: start_* retry with a new one.
free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_listening PORT PID: until PID itself listens on 127.0.0.1:PORT (0),
# or PID has exited or 20 seconds passed (1). "Something accepts on PORT" is
# not enough: another test's server may have taken the port free_port
# chose, and ours then fails to bind while theirs answers. So the listening
# socket is looked up in /proc/net/tcp and must be a descriptor of PID or
# of one of its descendants.
wait_listening() {
  local i
  for i in $(seq 1 200); do
    kill -0 "$2" 2>/dev/null || return 1
    if python3 -c 'import os, sys
port, pid = int(sys.argv[1]), sys.argv[2]
inodes = set()
for line in open("/proc/net/tcp").readlines()[1:]:
    f = line.split()
    if f[3] == "0A" and int(f[1].split(":")[1], 16) == port:
        inodes.add(f[9])
# PID and its descendants (git runs git-daemon as a child).
parent = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            parent[p] = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            pass
ours = {pid}
grew = True
while grew:
    more = {p for p, pp in parent.items() if pp in ours} - ours
    ours |= more
    grew = bool(more)
for p in ours:
    try:
        fds = os.listdir("/proc/%s/fd" % p)
    except OSError:
        continue
    for fd in fds:
        try:
            link = os.readlink("/proc/%s/fd/%s" % (p, fd))
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            sys.exit(0)
sys.exit(1)' "$1" "$2"; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# server_missing NAME REASON: $SERVER_SKIP and 77, or a failure under
# STRATA_REQUIRE_SERVERS.
server_missing() {
  SERVER_SKIP="$1 not available: $2 (scripts/install-deps.sh installs it)"
  if [ -n "${STRATA_REQUIRE_SERVERS:-}" ]; then
    echo "Bail out! $SERVER_SKIP, and STRATA_REQUIRE_SERVERS is set"
    exit 1
  fi
  echo "# skip: $SERVER_SKIP"
  return 77
}

# start_server NAME LOG CMD...: runs CMD (which reads $PORT, chosen here) in
# the background until it listens; retries on a clash. Sets PORT.
start_server() {
  local name=$1 log=$2 attempt pid
  shift 2
  for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    "$@" >>"$log" 2>&1 &
    pid=$!
    if wait_listening "$PORT" "$pid"; then
      SERVER_PIDS+=("$pid")
      return 0
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  echo "Bail out! $name did not start; its log:"
  sed 's/^/# /' "$log"
  exit 1
}

# start_git_daemon ROOT: git daemon serving every repository under ROOT,
# fetch and push (receive-pack), no authentication.
# Sets GIT_DAEMON_URL=git://127.0.0.1:PORT (append /NAME.git).
start_git_daemon() {
  local root=$1 dir="$TRASH/.git-daemon"
  git daemon --help >/dev/null 2>&1 || [ -x "$(git --exec-path)/git-daemon" ] ||
    { server_missing "git daemon" "no git-daemon in $(git --exec-path)"; return; }
  mkdir -p "$dir"
  run_git_daemon() {
    exec git daemon --export-all --enable=receive-pack --informative-errors \
      --reuseaddr --listen=127.0.0.1 --port="$PORT" --base-path="$root" "$root"
  }
  start_server "git daemon" "$dir/log" run_git_daemon
  GIT_DAEMON_URL="git://127.0.0.1:$PORT"
  echo "# git daemon at $GIT_DAEMON_URL (serving $root)"
}

# start_http_server ROOT USER PASS: lighttpd running git http-backend (CGI)
# for every repository under ROOT: fetch for anyone, push (receive-pack)
# only with HTTP basic authentication as USER:PASS.
# Sets HTTP_URL=http://127.0.0.1:PORT/git (append /NAME.git) and
# HTTP_ACCESS_LOG (one line per request, the status code after the request).
start_http_server() {
  local root=$1 user=$2 pass=$3 dir="$TRASH/.lighttpd" lighttpd backend
  lighttpd=$(command -v lighttpd || ls /usr/sbin/lighttpd 2>/dev/null) ||
    { server_missing lighttpd "no lighttpd binary"; return; }
  backend="$(git --exec-path)/git-http-backend"
  [ -x "$backend" ] || { server_missing "git http-backend" "no $backend"; return; }
  [ -e /usr/lib/lighttpd/mod_cgi.so ] || [ -n "$(ls /usr/lib/*/lighttpd/mod_cgi.so 2>/dev/null)" ] ||
    { server_missing "lighttpd's mod_cgi" "no mod_cgi.so"; return; }
  mkdir -p "$dir/docroot"
  # mod_authn_file's "plain" backend: USER:PASSWORD lines, nothing to hash.
  printf '%s:%s\n' "$user" "$pass" >"$dir/users"
  run_lighttpd() {
    cat >"$dir/lighttpd.conf" <<EOF
server.modules = ("mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi", "mod_accesslog")
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$dir/docroot"
server.errorlog = "$dir/error.log"
accesslog.filename = "$dir/access.log"
server.pid-file = "$dir/lighttpd.pid"
server.upload-dirs = ("$dir")
server.max-request-size = 1048576
alias.url = ("/git/" => "$backend/")
\$HTTP["url"] =~ "^/git/" {
  cgi.assign = ("" => "")
  setenv.add-environment = ("GIT_PROJECT_ROOT" => "$root", "GIT_HTTP_EXPORT_ALL" => "1")
}
auth.backend = "plain"
auth.backend.plain.userfile = "$dir/users"
\$HTTP["querystring"] =~ "service=git-receive-pack" {
  auth.require = ("/" => ("method" => "basic", "realm" => "strata-test", "require" => "valid-user"))
}
\$HTTP["url"] =~ "/git-receive-pack\$" {
  auth.require = ("/" => ("method" => "basic", "realm" => "strata-test", "require" => "valid-user"))
}
EOF
    exec "$lighttpd" -D -f "$dir/lighttpd.conf"
  }
  start_server lighttpd "$dir/log" run_lighttpd
  HTTP_URL="http://127.0.0.1:$PORT/git"
  HTTP_ACCESS_LOG="$dir/access.log"
  echo "# lighttpd (git http-backend) at $HTTP_URL (serving $root; push as $user)"
}

# start_https_server ROOT: lighttpd with TLS (mod_openssl) running git
# http-backend for every repository under ROOT, read-only, with a
# self-signed certificate for 127.0.0.1 made here. Sets
# HTTPS_URL=https://127.0.0.1:PORT/git (append /NAME.git) and HTTPS_CA (the
# certificate, PEM: what a client must trust to connect).
start_https_server() {
  local root=$1 dir="$TRASH/.lighttpd-tls" lighttpd backend
  lighttpd=$(command -v lighttpd || ls /usr/sbin/lighttpd 2>/dev/null) ||
    { server_missing lighttpd "no lighttpd binary"; return; }
  backend="$(git --exec-path)/git-http-backend"
  [ -x "$backend" ] || { server_missing "git http-backend" "no $backend"; return; }
  [ -e /usr/lib/lighttpd/mod_openssl.so ] ||
    { server_missing "lighttpd's mod_openssl" "package lighttpd-mod-openssl"; return; }
  command -v openssl >/dev/null || { server_missing openssl "package openssl"; return; }
  mkdir -p "$dir/docroot"
  # The name a client checks is the URL's host, 127.0.0.1: the subject's
  # common name (mbedTLS 2, libgit2's TLS here, matches no IP address entry).
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 ||
    { echo "Bail out! openssl could not make a test certificate"; exit 1; }
  run_lighttpd_tls() {
    cat >"$dir/lighttpd.conf" <<EOF
server.modules = ("mod_alias", "mod_setenv", "mod_cgi", "mod_openssl")
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$dir/docroot"
server.errorlog = "$dir/error.log"
server.pid-file = "$dir/lighttpd.pid"
server.upload-dirs = ("$dir")
ssl.engine = "enable"
ssl.pemfile = "$dir/cert.pem"
ssl.privkey = "$dir/key.pem"
alias.url = ("/git/" => "$backend/")
\$HTTP["url"] =~ "^/git/" {
  cgi.assign = ("" => "")
  setenv.add-environment = ("GIT_PROJECT_ROOT" => "$root", "GIT_HTTP_EXPORT_ALL" => "1")
}
EOF
    exec "$lighttpd" -D -f "$dir/lighttpd.conf"
  }
  start_server "lighttpd (TLS)" "$dir/log" run_lighttpd_tls
  HTTPS_URL="https://127.0.0.1:$PORT/git"
  HTTPS_CA="$dir/cert.pem"
  echo "# lighttpd with TLS (git http-backend) at $HTTPS_URL (serving $root)"
}

# start_sshd: OpenSSH's sshd as the current user (root allowed, by key only)
# with a generated ed25519 host key, and a generated client key allowed in.
# Sets SSH_URL=ssh://USER@127.0.0.1:PORT (append an absolute path),
# SSHD_PORT, SSH_CLIENT_KEY (private key; .pub beside it), and
# SSH_KNOWN_HOSTS_LINE ("[127.0.0.1]:PORT ssh-ed25519 AAAA..."). Nothing is
# written to ~/.ssh: tests choose where the key and the known host go.
start_sshd() {
  local dir="$TRASH/.sshd" sshd=/usr/sbin/sshd user
  [ -x "$sshd" ] || { server_missing sshd "no $sshd (package openssh-server)"; return; }
  command -v ssh-keygen >/dev/null || { server_missing ssh-keygen "package openssh-client"; return; }
  mkdir -p "$dir"
  chmod 700 "$dir"
  user=$(id -un)
  # sshd started as root wants its privilege separation folder, which the
  # package creates only at boot (tmpfiles.d).
  if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
    mkdir -p /run/sshd
    chmod 755 /run/sshd
  fi
  ssh-keygen -q -t ed25519 -N '' -C strata-test-host -f "$dir/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C strata-test-client -f "$dir/client_ed25519"
  cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
  run_sshd() {
    cat >"$dir/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $PORT
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AllowUsers $user
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
LogLevel VERBOSE
EOF
    exec "$sshd" -D -e -f "$dir/sshd_config"
  }
  start_server sshd "$dir/log" run_sshd
  SSHD_PORT=$PORT
  SSH_URL="ssh://$user@127.0.0.1:$PORT"
  SSH_CLIENT_KEY="$dir/client_ed25519"
  SSH_KNOWN_HOSTS_LINE="[127.0.0.1]:$PORT $(cut -d' ' -f1-2 "$dir/host_ed25519.pub")"
  echo "# sshd at $SSH_URL (client key $SSH_CLIENT_KEY)"
}

# serve_repo STRATA_DIR ROOT NAME: ROOT/NAME.git is the bare repository in
# STRATA_DIR/.strata (a symbolic link: what the server writes, the strata
# repository sees). git daemon and http-backend serve only repositories
# that look exported, so the link is enough with --export-all.
serve_repo() {
  mkdir -p "$2"
  ln -s "$(cd "$1/.strata" && pwd -P)" "$2/$3.git"
}
