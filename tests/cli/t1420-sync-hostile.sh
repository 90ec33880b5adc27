#!/usr/bin/env bash
# A malicious remote (docs/sync.md, "What a fetch refuses"): ref names and
# document ids that try to escape, case-folding collisions, control
# characters, commits that are not versions and oversized fetches are
# refused by `strata clone` and `strata fetch` with exit 1 and an error that
# names the problem, and the local repository is left as it was. Hooks and
# settings that run commands never come along with a clone.
#
# Remotes are bare git repositories made with git plumbing, served as a
# local path and as file://. Objects that `git mktree` refuses are written
# with `git hash-object --literally`, and ref names that `git update-ref`
# refuses are written straight into the refs folder or packed-refs.
. "$(dirname "$0")/lib.sh"

# git commit-tree, for the hostile commits, needs an identity.
export GIT_AUTHOR_NAME=Eve GIT_AUTHOR_EMAIL=eve@example.com
export GIT_COMMITTER_NAME=Eve GIT_COMMITTER_EMAIL=eve@example.com

# Every test needs the sync commands; until they are built, each is skipped.
need_sync() {
  strata fetch --help >/dev/null 2>&1 || skip "strata fetch is not available in this build"
  strata clone --help >/dev/null 2>&1 || skip "strata clone is not available in this build"
}

# The good history every remote starts from.
new_repo src >/dev/null
echo '{"host":"a","port":1}' | strata put config/app - >/dev/null
echo '2' | strata put other - >/dev/null
cd "$TRASH"

# make_remote NAME: a bare copy of src (all of it valid).
make_remote() {
  rm -rf "$TRASH/$1"
  git clone -q --bare "$TRASH/src/.strata" "$TRASH/$1"
}
rgit() { local r=$1; shift; git --git-dir "$TRASH/$r" "$@"; }

# mktree_literal REMOTE < lines of "MODE NAME ID": a tree object written as
# given (sorted as git sorts), whatever git mktree would say of its names.
mktree_literal() {
  python3 -c '
import sys, subprocess
entries = []
for line in sys.stdin.buffer.read().split(b"\n"):
    if not line:
        continue
    mode, rest = line.split(b" ", 1)
    name, oid = rest.rsplit(b" ", 1)
    name = name.decode("unicode_escape").encode("latin-1")
    key = name + (b"/" if mode == b"40000" else b"")
    entries.append((key, mode + b" " + name + b"\0" + bytes.fromhex(oid.decode())))
data = b"".join(e for _, e in sorted(entries))
out = subprocess.run(["git", "--git-dir", sys.argv[1], "hash-object", "-w", "-t", "tree",
                      "--literally", "--stdin"], input=data, check=True, capture_output=True)
sys.stdout.write(out.stdout.decode())
' "$TRASH/$1"
}

# hostile_version REMOTE STATE_TREE: a version on top of the remote's main
# whose state is STATE_TREE; moves main there.
hostile_version() {
  local r=$1 state=$2 delta root c
  delta=$(printf 'not a delta' | rgit "$r" hash-object -w --stdin)
  root=$(printf '100644 blob %s\tdelta.zst\n040000 tree %s\tstate\n' "$delta" "$state" |
    rgit "$r" mktree)
  c=$(rgit "$r" commit-tree "$root" -p refs/heads/main -m hostile)
  rgit "$r" update-ref refs/heads/main "$c"
}

# state_with REMOTE ENTRY_NAME...: a flat state tree holding the documents
# "ok" and one document per escaped entry name (as strata spells ids in
# trees: docs/format.md, "Entry names"), written literally.
state_with() {
  local r=$1 blob
  shift
  blob=$(printf '1' | rgit "$r" hash-object -w --stdin)
  {
    echo "100644 ok $blob"
    for name in "$@"; do echo "100644 $name $blob"; done
  } | mktree_literal "$r"
}

# url_of REMOTE FORM: the remote's URL as a local path or file://.
url_of() {
  case "$2" in
    path) echo "$TRASH/$1" ;;
    file) echo "file://$TRASH/$1" ;;
  esac
}

# An error names what the remote sent, but never prints a control character
# of it raw: a ref name or id must not rewrite the terminal.
expect_no_raw_control() {
  if LC_ALL=C grep -q "[[:cntrl:]]" <<<"$1"; then
    echo "FAIL: the error holds a raw control character: $(printf '%q' "$1")"
    return 1
  fi
}

# expect_clone_refused URL REGEX DIR: `strata clone` of the (hostile) remote
# exits 1 with an error matching REGEX, and leaves no repository holding
# any of its refs in DIR.
expect_clone_refused() {
  local url=$1 regex=$2 dir=$3
  expect_fail 1 strata clone "$url" "$dir"
  expect_match "$regex" "$(err)"
  expect_no_raw_control "$(err)"
  if [ -d "$dir/.strata" ]; then
    expect_eq "" "$(git --git-dir "$dir/.strata" for-each-ref)" "refs left by a refused clone"
    expect_eq "" "$(find "$dir/.strata/incoming" -mindepth 1 2>/dev/null)" "leftover quarantine"
  fi
}
# expect_fetch_refused REGEX: in a clone made while the remote was valid,
# `strata fetch` exits 1 with an error matching REGEX and changes nothing.
expect_fetch_refused() {
  local regex=$1
  snapshot_repo
  expect_fail 1 strata fetch origin
  expect_match "$regex" "$(err)"
  expect_no_raw_control "$(err)"
  expect_repo_unchanged
  expect_eq "" "$(find .strata/incoming -mindepth 1 2>/dev/null)" "leftover quarantine"
  # The next fetch is refused the same way: nothing of the first stayed.
  expect_fail 1 strata fetch origin
  expect_repo_unchanged
}

# run_case NAME REGEX SETUP: for each URL form, a clean remote and a clone of
# it; SETUP (run with $R the remote's name) makes the remote hostile; then
# clone and fetch are both refused with REGEX.
run_case() {
  local name=$1 regex=$2 setup=$3
  for form in path file; do
    test_expect_success "$name ($form)" '
      need_sync
      R=evil-'"$form"'
      rm -rf local fresh
      make_remote "$R"
      strata clone "$(url_of "$R" '"$form"')" local >/dev/null
      '"$setup"'
      cd local
      expect_fetch_refused "$regex"
      cd "$TRASH"
      expect_clone_refused "$(url_of "$R" '"$form"')" "$regex" fresh
    '
  done
}

ID=$(git --git-dir src/.strata rev-parse main)

# --- ref names -------------------------------------------------------------

run_case 'a ref name with a .. component (packed-refs)' "refs/heads/\.\./x" '
  echo "'"$ID"' refs/heads/../x" >>"$TRASH/$R/packed-refs"
'
run_case 'a ref name with a .GIT component (loose ref file)' "\.GIT" '
  mkdir -p "$TRASH/$R/refs/heads/.GIT"
  echo "'"$ID"'" >"$TRASH/$R/refs/heads/.GIT/x"
'
# libgit2's local transport may refuse the name before strata sees it; either
# way the error names the ref, its control character escaped.
run_case 'a ref name with a control character (packed-refs)' "refs/heads/a\\\\x01b" '
  printf "%s refs/heads/a\001b\n" "'"$ID"'" >>"$TRASH/$R/packed-refs"
'
run_case 'two ref names alike but for letter case' "refs/heads/Main.*refs/heads/main.*letter case" '
  echo "'"$ID"'" >"$TRASH/$R/refs/heads/Main"
'

# --- document ids ----------------------------------------------------------

run_case 'a document id ../etc' "invalid document id '\.\./etc'" '
  hostile_version "$R" "$(state_with "$R" "%2E.%2Fetc")"
'
run_case 'a document id .git/config' "invalid document id '\.git/config'" '
  hostile_version "$R" "$(state_with "$R" "%2Egit%2Fconfig")"
'
run_case 'a document id a/.GIT' "invalid document id 'a/\.GIT'" '
  hostile_version "$R" "$(state_with "$R" "a%2F.GIT")"
'
run_case 'a document id with a control character' "control character \(U\+0001\)" '
  hostile_version "$R" "$(state_with "$R" "a%01b")"
'
run_case 'a raw .git entry in a state tree' "'\.git' is not a shard bucket" '
  hostile_version "$R" "$(state_with "$R" ".git")"
'
run_case 'document ids alike but for letter case' \
  "'Config/App' and 'config/app' differ only in letter case" '
  hostile_version "$R" "$(state_with "$R" "Config%2FApp" "config%2Fapp")"
'

# --- versions --------------------------------------------------------------

run_case 'a commit that is not a version' "not a strata version" '
  blob=$(printf "#!/bin/sh\n" | rgit "$R" hash-object -w --stdin)
  tree=$(printf "100755 blob %s\tpost-checkout\n" "$blob" | rgit "$R" mktree)
  c=$(rgit "$R" commit-tree "$tree" -p refs/heads/main -m "not a version")
  rgit "$R" update-ref refs/heads/main "$c"
'

# --- size ------------------------------------------------------------------

test_expect_success 'a fetch larger than strata.fetchMaxBytes is refused, naming the limit' '
  need_sync
  rm -rf local
  make_remote big
  strata clone "$TRASH/big" local >/dev/null
  cd local
  git --git-dir .strata config strata.fetchMaxBytes 1000
  cd "$TRASH/src"
  python3 -c "import json, random; random.seed(7); print(json.dumps({\"k%d\" % i: random.random() for i in range(400)}))" |
    strata put big - >/dev/null
  cd "$TRASH"
  rm -rf big
  make_remote big
  cd local
  expect_fetch_refused "strata\.fetchMaxBytes"
  expect_match "1000" "$(err)"
'

# --- nothing that runs commands comes along --------------------------------

test_expect_success 'hooks and command settings of the remote are not cloned, and never run' '
  need_sync
  make_remote hooked
  for h in post-checkout post-merge post-receive pre-commit post-commit reference-transaction \
           post-update pre-receive update; do
    printf "#!/bin/sh\ntouch \"%s/hook-ran\"\n" "$TRASH" >"$TRASH/hooked/hooks/$h"
    chmod +x "$TRASH/hooked/hooks/$h"
  done
  mkdir -p "$TRASH/evil-hooks"
  cp "$TRASH/hooked/hooks/post-checkout" "$TRASH/evil-hooks/"
  rgit hooked config core.hooksPath "$TRASH/evil-hooks"
  rgit hooked config core.fsmonitor "touch $TRASH/fsmonitor-ran"
  rgit hooked config core.sshCommand "touch $TRASH/ssh-ran"
  rgit hooked config uploadpack.packObjectsHook "touch $TRASH/pack-hook-ran"
  strata init fresh-init >/dev/null
  for form in path file; do
    strata clone "$(url_of hooked $form)" "c-$form" >/dev/null
    # Only what strata init itself makes (the README.sample of libgit2), nothing of the remote.
    expect_eq "$(cd fresh-init/.strata && find hooks -type f | sort)" \
      "$(cd "c-$form/.strata" && find hooks -type f 2>/dev/null | sort)" "hooks in the clone"
    for key in core.hooksPath core.fsmonitor core.sshCommand uploadpack.packObjectsHook; do
      expect_eq "" "$(git config --file "c-$form/.strata/config" --get "$key" || true)" "$key"
    done
    expect_eq "{\"host\":\"a\",\"port\":1}" "$(cd "c-$form" && strata get config/app)"
    (cd "c-$form" && strata fetch >/dev/null && echo 3 | strata put more - >/dev/null)
  done
  expect_eq "" "$(ls "$TRASH" | grep -E "ran$" || true)" "a remote command ran"
'

test_done
