#!/usr/bin/env bash
# Sync between sites over a local path and file://: remote, clone, fetch,
# pull, push (fast-forward check), sync with its summary, and what a failed
# or interrupted transfer leaves. The network transports are t1410.
. "$(dirname "$0")/lib.sh"

# site DIR: a repository with config/app and config/db, two versions.
site() {
  new_repo "$1"
  strata put config/app <<<'{"db":{"pool":10},"name":"app"}' >/dev/null
  strata put config/db <<<'{"host":"h1"}' >/dev/null
  cd "$TRASH"
}

test_expect_success 'clone a folder: origin, remote-tracking branch, checked-out branch' '
  site a
  strata clone a b >out
  expect_match "^Cloned a into $TRASH/b \(branch main at [0-9a-f]{12}\)$" "$(cat out)"
  cd b
  expect_eq "$(git --git-dir ../a/.strata rev-parse main)" "$(sgit rev-parse main)"
  expect_eq "$(sgit rev-parse main)" "$(sgit rev-parse refs/remotes/origin/main)"
  expect_eq "origin" "$(strata remote)"
  expect_eq "origin	$TRASH/a (fetch)
origin	$TRASH/a (push)" "$(strata remote -v)"
  expect_eq "origin" "$(sgit config branch.main.remote)"
  expect_eq "refs/heads/main" "$(sgit config branch.main.merge)"
  expect_match "^  origin/main  [0-9a-f]{12}$" "$(strata branch -r)"
  expect_eq "{\"host\":\"h1\"}" "$(strata get config/db@origin/main)"
  strata verify >/dev/null
  git --git-dir .strata fsck --strict 2>&1
'

test_expect_success 'clone --json, file:// URL, a bare .strata path, and DIR from the URL' '
  site a2
  strata clone --json "file://$TRASH/a2" c2 >out
  expect_eq "$TRASH/c2" "$(jpath "d[\"path\"]" <out)"
  expect_eq "main" "$(jpath "d[\"branch\"]" <out)"
  expect_eq "$(git --git-dir a2/.strata rev-parse main)" "$(jpath "d[\"version\"]" <out)"
  mkdir sub
  cd sub
  strata clone "$TRASH/a2/.strata" >/dev/null
  test -d a2/.strata
  expect_eq "{\"host\":\"h1\"}" "$(cd a2 && strata get config/db)"
'

test_expect_success 'clone of an empty repository, then fetch once it has versions' '
  new_repo empty
  cd "$TRASH"
  strata clone empty e >out
  expect_match "no versions yet" "$(cat out)"
  cd empty
  strata put x <<<"1" >/dev/null
  cd ../e
  strata pull >/dev/null
  expect_eq "1" "$(strata get x)"
'

test_expect_success 'a failed clone leaves DIR as it was' '
  expect_fail 1 strata clone "$TRASH/nothing-here" d1
  test ! -e d1
  mkdir d2
  echo keep >d2/file
  expect_fail 1 strata clone "$TRASH/nothing-here" d2
  expect_eq "file" "$(ls d2)"
  site a3
  strata clone a3 d3 >/dev/null
  expect_fail 1 strata clone a3 d3
  expect_match "already exists" "$(err)"
'

test_expect_success 'push: fast-forward, then a non-fast-forward is refused and says to pull' '
  site p
  strata clone p q >/dev/null
  cd q
  strata set config/db /host "\"h2\"" >/dev/null
  strata push >out
  expect_match "^   [0-9a-f]{12}\.\.[0-9a-f]{12} main -> main$" "$(cat out)"
  expect_eq "$(sgit rev-parse main)" "$(git --git-dir ../p/.strata rev-parse main)"
  expect_eq "$(sgit rev-parse main)" "$(sgit rev-parse origin/main)"
  expect_eq "Everything up-to-date" "$(strata push)"
  # The objects landed under a ref of ours there, moved by compare-and-swap, then dropped.
  expect_eq "" "$(git --git-dir ../p/.strata for-each-ref refs/strata)"
  expect_match "push: from " "$(git --git-dir ../p/.strata reflog show -1 main)"
  (cd ../p && strata set config/app /name "\"p\"" >/dev/null)
  strata set config/app /name "\"q\"" >/dev/null
  remote_before=$(git --git-dir ../p/.strata rev-parse main)
  expect_fail 1 strata push
  expect_match "not a fast-forward.*pull first \(strata pull origin main\)" "$(err)"
  expect_eq "$remote_before" "$(git --git-dir ../p/.strata rev-parse main)"
  strata push --dry-run --force --json >out
  expect_eq "true" "$(jpath "d[\"dry_run\"]" <out)"
  expect_eq "true" "$(jpath "d[\"updated\"][0][\"forced\"]" <out)"
  expect_eq "$remote_before" "$(git --git-dir ../p/.strata rev-parse main)"
  strata push --force >out
  expect_match "forced update" "$(cat out)"
  expect_eq "$(sgit rev-parse main)" "$(git --git-dir ../p/.strata rev-parse main)"
'

test_expect_success 'push to a URL, another branch, and tags' '
  site t
  new_repo t2
  cd "$TRASH/t"
  strata branch feat >/dev/null
  strata tag v1 >/dev/null
  strata push "$TRASH/t2" main >/dev/null
  strata push "file://$TRASH/t2" feat --tags --json >out
  expect_eq "refs/heads/feat refs/tags/v1" "$(jpath "\" \".join(u[\"ref\"] for u in d[\"updated\"])" <out)"
  expect_eq "$(sgit rev-parse v1)" "$(git --git-dir ../t2/.strata rev-parse v1)"
  expect_eq "$(sgit rev-parse feat)" "$(git --git-dir ../t2/.strata rev-parse feat)"
  expect_fail 1 strata push no-such-remote
  expect_match "no remote .no-such-remote." "$(err)"
  expect_fail 1 strata push "$TRASH/t2" nobranch
  expect_match "branch .nobranch. has no versions" "$(err)"
'

test_expect_success 'pull: fast-forward, clean merge, conflicts (exit 1) and --strategy' '
  site l
  strata clone l m >/dev/null
  (cd l && strata set config/db /host "\"h2\"" >/dev/null)
  cd m
  strata pull >out
  expect_match "fast-forward main to" "$(cat out)"
  expect_eq "{\"host\":\"h2\"}" "$(strata get config/db)"
  (cd ../l && strata set config/db /port 5432 >/dev/null)
  strata set config/app /name "\"m\"" >/dev/null
  strata pull >out
  expect_match "merge origin/main into main" "$(cat out)"
  expect_eq "2" "$(sgit log -1 --format=%p | wc -w)"
  expect_eq "{\"host\":\"h2\",\"port\":5432}" "$(strata get config/db)"
  (cd ../l && strata set config/db /port 1 >/dev/null)
  strata set config/db /port 2 >/dev/null
  rc=0
  strata pull >out 2>errs || rc=$?
  expect_eq 1 "$rc"
  expect_match "CONFLICT \(both modified  config/db /port\)" "$(cat out)"
  expect_match "^strata: error: merge stopped on 1 conflict" "$(cat errs)"
  strata merge --abort >/dev/null
  strata pull --strategy theirs >/dev/null
  expect_eq "1" "$(strata get config/db /port)"
'

test_expect_success 'sync: summary in both directions, then pushed; --json' '
  site s
  strata clone s u >/dev/null
  (cd s && strata put new/remote <<<"{}" >/dev/null && strata rm config/app >/dev/null)
  cd u
  strata put new/local <<<"{}" >/dev/null
  strata set config/db /host "\"local\"" >/dev/null
  strata sync --json >out
  expect_eq "merged" "$(jpath "d[\"merge\"]" <out)"
  expect_eq "{\"created\": [\"new/remote\"], \"deleted\": [\"config/app\"], \"unchanged\": 2, \"updated\": []}" \
    "$(jpath "json.dumps(d[\"incoming\"], sort_keys=True)" <out)"
  expect_eq "{\"created\": [\"new/local\"], \"deleted\": [], \"unchanged\": 1, \"updated\": [\"config/db\"]}" \
    "$(jpath "json.dumps(d[\"outgoing\"], sort_keys=True)" <out)"
  expect_eq "$(sgit rev-parse main)" "$(git --git-dir ../s/.strata rev-parse main)"
  strata sync >out
  expect_match "^merge: up to date$" "$(cat out)"
  expect_match "^incoming: 0 created, 0 updated, 0 deleted, 3 unchanged$" "$(cat out)"
'

test_expect_success 'sync --dry-run prints the same summary and changes neither side' '
  site dr
  strata clone dr dr2 >/dev/null
  (cd dr && strata set config/db /host "\"remote\"" >/dev/null)
  cd dr2
  strata put only/here <<<"1" >/dev/null
  snapshot_repo
  (cd ../dr && repo_fingerprint >"$TRASH/remote.before")
  strata sync --dry-run --json >out
  expect_repo_unchanged
  (cd ../dr && repo_fingerprint >"$TRASH/remote.after")
  cmp "$TRASH/remote.before" "$TRASH/remote.after"
  test -z "$(ls .strata/incoming)"
  expect_eq "true" "$(jpath "d[\"dry_run\"]" <out)"
  expect_eq "[\"config/db\"]" "$(jpath "json.dumps(d[\"incoming\"][\"updated\"])" <out)"
  expect_eq "[\"only/here\"]" "$(jpath "json.dumps(d[\"outgoing\"][\"created\"])" <out)"
  strata sync --json >real
  expect_eq "$(jpath "json.dumps(d[\"incoming\"], sort_keys=True)" <out)" "$(jpath "json.dumps(d[\"incoming\"], sort_keys=True)" <real)"
  expect_eq "$(jpath "json.dumps(d[\"outgoing\"], sort_keys=True)" <out)" "$(jpath "json.dumps(d[\"outgoing\"], sort_keys=True)" <real)"
'

test_expect_success 'sync stops on conflicts (exit 1) and pushes nothing' '
  site sc
  strata clone sc sc2 >/dev/null
  (cd sc && strata set config/db /host "\"a\"" >/dev/null)
  cd sc2
  strata set config/db /host "\"b\"" >/dev/null
  remote=$(git --git-dir ../sc/.strata rev-parse main)
  rc=0
  strata sync >out 2>errs || rc=$?
  expect_eq 1 "$rc"
  expect_match "nothing was pushed" "$(cat errs)"
  expect_eq "$remote" "$(git --git-dir ../sc/.strata rev-parse main)"
'

test_expect_success 'fetch: prunes branches gone from the remote, keeps a clobbered tag' '
  site f
  (cd f && strata branch gone >/dev/null && strata tag t1 >/dev/null)
  strata clone f g >/dev/null
  cd g
  expect_eq "origin/gone
origin/main" "$(strata branch -r --json | jpath "\"\\n\".join(b[\"name\"] for b in d)")"
  expect_eq "$(git --git-dir ../f/.strata rev-parse t1)" "$(sgit rev-parse t1)"
  (cd ../f && strata branch -d gone >/dev/null && strata set config/db /x 1 >/dev/null && strata tag -f t1 >/dev/null)
  strata fetch --json >out
  expect_eq "origin/main" "$(strata branch -r --json | jpath "\"\\n\".join(b[\"name\"] for b in d)")"
  expect_eq "[\"t1\"]" "$(jpath "json.dumps(d[\"skipped_tags\"])" <out)"
  expect_ne "$(git --git-dir ../f/.strata rev-parse t1)" "$(sgit rev-parse t1)"
  # Nothing new: only the tag that stays rejected is reported, as git does.
  expect_eq " ! [rejected] t1 -> t1  (would clobber an existing tag)" "$(strata fetch | tail -n +2)"
'

test_expect_success 'remote add, list --json, remove (with its tracking branches); bad input' '
  site r
  new_repo r2
  strata remote add up ../r >out
  expect_eq "added remote '"'"'up'"'"' ($TRASH/r)" "$(cat out)"
  strata fetch up >/dev/null
  expect_eq "up/main" "$(strata branch -r --json | jpath "d[0][\"name\"]")"
  expect_eq "[{\"name\": \"up\", \"url\": \"$TRASH/r\"}]" "$(strata remote list --json | jpath "json.dumps(d)")"
  expect_fail 1 strata remote add up ../r
  expect_match "already exists" "$(err)"
  expect_fail 1 strata remote add "bad name" ../r
  expect_match "invalid remote name" "$(err)"
  expect_fail 1 strata remote add pw https://ann:s3cret@example.invalid/x.git
  expect_match "holds a password" "$(err)"
  expect_no_match "s3cret" "$(err)"
  expect_no_match "s3cret" "$(cat .strata/config)"
  strata remote remove up >/dev/null
  expect_eq "" "$(strata remote)"
  expect_eq "" "$(sgit for-each-ref refs/remotes)"
  expect_fail 1 strata remote remove up
  expect_fail 2 strata remote frobnicate
  expect_fail 1 strata fetch nowhere
  expect_match "no remote .nowhere." "$(err)"
'

test_expect_success 'a quarantine left by a killed fetch is removed by the next; refs unchanged' '
  site k
  strata clone k k2 >/dev/null
  cd k2
  # What a fetch killed mid-download leaves: a quarantine of a dead process.
  mkdir -p .strata/incoming/q-999999-0/objects/pack
  echo junk >.strata/incoming/q-999999-0/objects/pack/pack-x.pack
  # A note, not a problem: nothing in it is part of the repository.
  strata verify >out 2>&1
  expect_match "^strata: note: fetch quarantine .*q-999999-0 was left by a fetch that was killed" "$(cat out)"
  expect_match "^ok: .* 0 problems, 1 note$" "$(cat out)"
  (cd ../k && strata set config/db /host "\"h3\"" >/dev/null)
  strata fetch >/dev/null
  test -z "$(ls .strata/incoming)"
  expect_eq "$(git --git-dir ../k/.strata rev-parse main)" "$(sgit rev-parse origin/main)"
  strata verify >/dev/null
'

test_expect_success 'a fetch from a remote that went away changes nothing' '
  site gone
  strata clone gone gone2 >/dev/null
  mv gone gone.moved
  cd gone2
  snapshot_repo
  expect_fail 1 strata fetch
  expect_repo_unchanged
'

test_expect_success '--help answers for every sync command' '
  for c in clone remote fetch pull push sync; do
    strata $c --help >out
    expect_match "^usage: strata $c" "$(head -n 1 out)"
  done
'

test_done
