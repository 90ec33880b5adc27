#!/usr/bin/env bash
# Writes through a perspective (issue 8): a value the perspective hides cannot
# be changed (refused, nothing written, the pointer named and no value); a
# masked value can be written and stays masked; a whole document written
# through a perspective keeps what it hides; export/import round trips keep
# hidden values, hidden documents and masked values left "***"; an invalid
# `.perspectives` is refused when written.
. "$(dirname "$0")/lib.sh"
. "$TEST_SRC_DIR/perspective-lib.sh"

plant r >/dev/null
cd "$TRASH"

# fresh NAME: a copy of the planted repository in $TRASH/NAME, and cd there.
fresh() {
  cp -R "$TRASH/r" "$TRASH/$1"
  cd "$TRASH/$1"
}
# stored DOC [POINTER]: the value as stored (through editor), compact and
# with sorted keys.
stored() { strata get "$@" --perspective editor | jpath d; }
have_command() { text_matches "^  $1 " "$(strata help)"; }

test_expect_success 'set of a hidden value: refused, nothing written, the pointer named, no value' '
  fresh w1
  snapshot_repo
  for p in public detailed; do
    expect_fail 1 strata set config/app /secrets/apikey "\"tryValueA\"" --perspective $p
    expect_match "/secrets" "$(err)"
    expect_no_match "tryValue|hush|detailOwn" "$(err)"
    expect_fail 1 strata set config/app /secrets/newKey "\"tryValueB\"" --perspective $p
    expect_match "/secrets" "$(err)"
    expect_no_match "tryValue|hush|detailOwn" "$(err)"
    expect_fail 1 strata set config/app /users/0/token "\"tryValueC\"" --perspective $p
    expect_match "/users/0/token" "$(err)"
    expect_no_match "tryValue|hush|detailOwn" "$(err)"
    expect_fail 1 strata rm config/app /secrets/apikey --perspective $p
    expect_no_match "hush|detailOwn" "$(err)"
  done
  expect_fail 1 strata set config/app /secrets/owner "\"tryValueD\"" --perspective public
  expect_match "/secrets" "$(err)"
  expect_no_match "tryValue|hush|detailOwn" "$(err)"
  STRATA_PERSPECTIVE=public expect_fail 1 strata set config/app /secrets/apikey "\"tryValueE\""
  expect_no_match "tryValue|hush" "$(err)"
  printf "%s" "[{\"op\":\"replace\",\"path\":\"/secrets/apikey\",\"value\":\"tryValueF\"}]" >../p-hidden.json
  expect_fail 1 strata patch ../p-hidden.json --doc config/app --perspective public
  expect_no_match "tryValue|hush" "$(err)"
  expect_repo_unchanged
  expect_eq "$APP_EDITOR" "$(stored config/app)"
'

test_expect_success 'a hidden document cannot be written, and refuses as a missing one would' '
  fresh w2
  snapshot_repo
  echo "{\"token\":\"tryValueG\"}" >../doc.json
  for p in public detailed; do
    same_refusal $p hushDocId nothereDoc set config/internal/_X_ /token "\"tryValueH\""
    expect_no_match tryValue "$(cat "$TRASH/.h.err")"
    same_refusal $p hushDocId nothereDoc put config/internal/_X_ ../doc.json
    same_refusal $p hushDocId nothereDoc rm config/internal/_X_
    same_refusal $p hushDocId nothereDoc rm config/internal/_X_ /token
  done
  expect_fail 1 strata put config/internal/hushDocId ../doc.json --perspective public
  expect_repo_unchanged
  expect_eq "{\"token\":\"hushDocTokNew\"}" "$(stored config/internal/hushDocId)"
'

test_expect_success 'detailed may write the owner it sees; the hidden values stay' '
  fresh w3
  through detailed set config/app /secrets/owner "\"okvisOwner2\""
  expect_eq "{\"apikey\":\"hushApiNew\",\"hushKeyNm\":1,\"owner\":\"okvisOwner2\"}" "$(stored config/app /secrets)"
'

test_expect_success 'a masked value may be written (a write-only secret), and reads "***" after' '
  fresh w4
  before=$(count_versions)
  through public set config/app /db/password "\"hushPwWritten\""
  expect_eq $((before + 1)) "$(count_versions)"
  expect_eq "hushPwWritten" "$(stored config/app /db/password)"
  through public get config/app /db/password
  expect_eq "\"***\"" "$(pout)"
  through public log -p -n 1 --json
  through public show --json
  through public log -p -n 1
  expect_no_match hush "$(sgit log -1 --format=%B)"
'

test_expect_success 'put of a whole document through a perspective keeps what it hides' '
  fresh w5
  through public get config/app
  pout >view.json
  python3 - view.json <<-\EOT
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["db"]["password"] == "***", d
	d["name"] = "okvisPut"
	d["db"]["port"] = 5432
	d["users"].append({"name": "okvisCid"})
	json.dump(d, open(sys.argv[1], "w"))
	EOT
  before=$(count_versions)
  through public put config/app view.json
  expect_eq $((before + 1)) "$(count_versions)"
  expect_eq "{\"db\":{\"host\":\"okvisHost\",\"password\":\"hushDbPassNew\",\"port\":5432},\"name\":\"okvisPut\",\"secrets\":{\"apikey\":\"hushApiNew\",\"hushKeyNm\":1,\"owner\":\"detailOwn\"},\"users\":[{\"name\":\"okvisAnn\",\"token\":\"hushTokAnn\"},{\"name\":\"okvisBob\",\"token\":\"hushTokBob\"},{\"name\":\"okvisCid\"}]}" \
    "$(stored config/app)"
  # Only the real changes are in the version.
  expect_eq "[[\"add\",\"/config~1app/db/port\",5432],[\"add\",\"/config~1app/users/2\",{\"name\":\"okvisCid\"}],[\"replace\",\"/config~1app/name\",\"okvisPut\"]]" \
    "$(strata show --json --perspective editor | jpath "sorted([o[\"op\"], o[\"path\"], o.get(\"value\")] for o in d[\"delta\"])")"
  # The same view put back again changes nothing: no version.
  through public get config/app
  pout >again.json
  through public put config/app again.json
  expect_eq $((before + 1)) "$(count_versions)"
  # A put that adds a value the perspective hides is refused.
  python3 -c "import json,sys; d=json.load(open(\"again.json\")); d[\"secrets\"]={\"apikey\":\"tryValueI\"}; json.dump(d, open(\"bad.json\",\"w\"))"
  snapshot_repo
  expect_fail 1 strata put config/app bad.json --perspective public
  expect_match "/secrets" "$(err)"
  expect_no_match "tryValue|hush" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'a put through public keeps a hidden array element at its place' '
  fresh w5b
  through public get config/site
  expect_eq "$SITE_PUBLIC" "$(pout | jpath d)"
  printf "%s" "{\"hosts\":[\"okvisH0\",\"okvisH2\",\"okvisH3\"],\"title\":\"okvisTitle\"}" >site.json
  through public put config/site site.json
  expect_eq "{\"hosts\":[\"okvisH0\",\"hushHost1\",\"okvisH2\",\"okvisH3\"],\"title\":\"okvisTitle\"}" "$(stored config/site)"
  through public get config/site /hosts
  expect_eq "[\"okvisH0\",\"okvisH2\",\"okvisH3\"]" "$(pout)"
'

test_expect_success 'patch through a perspective edits the view: a test sees "***", hidden paths are absent' '
  fresh w6
  snapshot_repo
  printf "%s" "[{\"op\":\"test\",\"path\":\"/db/password\",\"value\":\"hushDbPassNew\"},{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"okvisP\"}]" >../p-guess.json
  expect_fail 1 strata patch ../p-guess.json --doc config/app --perspective public
  expect_match "/db/password" "$(err)"
  printf "%s" "[{\"op\":\"test\",\"path\":\"/db/password\",\"value\":\"wrongGuess\"}]" >../p-wrong.json
  expect_fail 1 strata patch ../p-wrong.json --doc config/app --perspective public
  expect_no_match "hush|detailOwn" "$(err)"
  for k in apikey nothereKey; do
    printf "%s" "[{\"op\":\"test\",\"path\":\"/secrets/$k\",\"value\":\"x\"}]" >../p-$k.json
  done
  same_as_missing public apikey nothereKey patch ../p-_X_.json --doc config/app
  expect_repo_unchanged
  printf "%s" "[{\"op\":\"test\",\"path\":\"/db/password\",\"value\":\"***\"},{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"okvisP\"}]" >../p-masked.json
  through public patch ../p-masked.json --doc config/app
  expect_eq "okvisP" "$(stored config/app /name)"
  expect_eq "hushDbPassNew" "$(stored config/app /db/password)"
  expect_eq "{\"apikey\":\"hushApiNew\",\"hushKeyNm\":1,\"owner\":\"detailOwn\"}" "$(stored config/app /secrets)"
'

test_expect_success 'edit through a perspective: the editor is given the view; hidden values stay' '
  fresh w7
  cat >"$TRASH/view-editor" <<-\EOT
	#!/bin/sh
	cp "$1" "$HOME/seen.json"
	exec sed -i "s/okvisName2/okvisEdited/" "$1"
	EOT
  chmod +x "$TRASH/view-editor"
  EDITOR="$TRASH/view-editor" strata edit config/app --perspective public </dev/null >out 2>errout
  assert_no_secrets public out errout "$HOME/seen.json"
  expect_eq "$APP_PUBLIC" "$(jpath d <"$HOME/seen.json")"
  expect_eq "$(echo "$APP_EDITOR" | sed "s/okvisName2/okvisEdited/")" "$(stored config/app)"
'

test_expect_success 'import of an export through the same perspective: only real changes, secrets kept' '
  have_command export || skip "strata export has not landed"
  fresh w8
  through public export HEAD ../ex8
  python3 - ../ex8/config/app.json <<-\EOT
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["db"]["password"] == "***", d
	d["name"] = "okvisImported"
	json.dump(d, open(sys.argv[1], "w"), indent=2)
	EOT
  before=$(count_versions)
  through public import ../ex8
  expect_eq $((before + 1)) "$(count_versions)"
  expect_eq "[{\"op\":\"replace\",\"path\":\"/config~1app/name\",\"value\":\"okvisImported\"}]" \
    "$(strata show --json --perspective editor | jpath "d[\"delta\"]")"
  expect_eq "$(echo "$APP_EDITOR" | sed "s/okvisName2/okvisImported/")" "$(stored config/app)"
  expect_eq "{\"token\":\"hushDocTokNew\"}" "$(stored config/internal/hushDocId)"
  # The same folder again: nothing to write.
  through public import ../ex8
  expect_eq $((before + 1)) "$(count_versions)"
  # A masked value given a new value is written.
  python3 -c "import json,sys; p=sys.argv[1]; d=json.load(open(p)); d[\"db\"][\"password\"]=\"hushPwImported\"; json.dump(d, open(p,\"w\"))" ../ex8/config/app.json
  through public import ../ex8
  expect_eq "hushPwImported" "$(stored config/app /db/password)"
  expect_eq "{\"apikey\":\"hushApiNew\",\"hushKeyNm\":1,\"owner\":\"detailOwn\"}" "$(stored config/app /secrets)"
'

test_expect_success 'import through a perspective never writes a hidden document' '
  fresh w9
  mkdir -p ../in9/config/internal
  echo "{\"token\":\"tryValueJ\"}" >../in9/config/internal/hushDocId.json
  echo "{\"title\":\"okvisT9\"}" >../in9/config/site.json
  snapshot_repo
  expect_fail 1 strata import ../in9 --perspective public
  expect_no_match "tryValue|hushDocTok" "$(err)"
  expect_repo_unchanged
  expect_eq "{\"token\":\"hushDocTokNew\"}" "$(stored config/internal/hushDocId)"
'

test_expect_success 'import --prune through public removes what public sees, never what it hides' '
  have_command export || skip "strata export has not landed"
  text_matches "--prune" "$(strata import --help)" || skip "strata import --prune has not landed"
  fresh w10
  through public export HEAD ../ex10
  # config/site holds a hidden element at /hosts/1, decided by its index:
  # removing the visible ones would move it out of hiding, so the prune is
  # refused, nothing written, and the error names the document.
  rm ../ex10/config/site.json
  snapshot_repo
  expect_fail 1 strata import ../ex10 --prune --perspective public
  expect_match "config/site" "$(err)"
  assert_no_secrets public "$TRASH/.err"
  expect_repo_unchanged
  # config/app hides members, not indices: its visible values go, the hidden stay.
  through public export HEAD ../ex10
  rm ../ex10/config/app.json
  before=$(count_versions)
  through public import ../ex10 --prune
  expect_eq $((before + 1)) "$(count_versions)"
  expect_fail 1 strata get config/app --perspective public
  expect_eq "{\"secrets\":{\"apikey\":\"hushApiNew\",\"hushKeyNm\":1,\"owner\":\"detailOwn\"},\"users\":[{\"token\":\"hushTokAnn\"},{\"token\":\"hushTokBob\"}]}" \
    "$(stored config/app)"
  expect_eq "$SITE_EDITOR" "$(stored config/site)"
  expect_eq "{\"token\":\"hushDocTokNew\"}" "$(stored config/internal/hushDocId)"
  expect_eq "$(jpath d <"$TRASH/perspectives.json")" "$(strata get .perspectives | jpath d)"
'

test_expect_success 'an invalid .perspectives is refused when written, with the reason' '
  new_repo inval
  strata put .perspectives "$TRASH/perspectives.json" >/dev/null
  snapshot_repo
  bad() {
    printf "%s" "$1" >bad.json
    expect_fail 1 strata put .perspectives bad.json
  }
  bad "{\"perspectives\":{\"alpha\":{\"extends\":\"ghost\"}}}"
  expect_match "alpha" "$(err)"
  expect_match "ghost" "$(err)"
  bad "{\"perspectives\":{\"alpha\":{\"extends\":\"beta\"},\"beta\":{\"extends\":\"alpha\"}}}"
  expect_match "cycle" "$(err)"
  bad "{\"perspectives\":{\"alpha\":{\"extends\":\"alpha\"}}}"
  expect_match "cycle" "$(err)"
  bad "{\"perspectives\":{\"alpha\":{\"rules\":[{\"path\":\"/x\",\"action\":\"reveal\"}]}}}"
  expect_match "alpha" "$(err)"
  expect_match "reveal" "$(err)"
  for form in "[]" "{\"perspectives\":[]}" "{\"perspectives\":{\"alpha\":[]}}" \
    "{\"perspectives\":{\"alpha\":{\"docs\":\"config/**\"}}}" \
    "{\"perspectives\":{\"alpha\":{\"docs\":[1]}}}" \
    "{\"perspectives\":{\"alpha\":{\"rules\":{\"path\":\"/x\",\"action\":\"show\"}}}}" \
    "{\"perspectives\":{\"alpha\":{\"rules\":[{\"action\":\"show\"}]}}}" \
    "{\"perspectives\":{\"alpha\":{\"rules\":[{\"path\":\"/x\"}]}}}" \
    "{\"perspectives\":{\"alpha\":{\"rules\":[{\"path\":\"x\",\"action\":\"show\"}]}}}" \
    "{\"perspectives\":{\"alpha\":{\"extends\":5}}}"; do
    bad "$form"
  done
  expect_fail 1 strata set .perspectives /perspectives/public/extends "\"ghost\""
  expect_match "ghost" "$(err)"
  expect_fail 1 strata set .perspectives /perspectives/public/rules/0/action "\"reveal\""
  expect_match "reveal" "$(err)"
  printf "%s" "[{\"op\":\"add\",\"path\":\"/perspectives/editor/extends\",\"value\":\"editor\"}]" >cyc.json
  expect_fail 1 strata patch cyc.json --doc .perspectives
  expect_match "cycle" "$(err)"
  expect_repo_unchanged
  expect_eq "$(jpath d <"$TRASH/perspectives.json")" "$(strata get .perspectives | jpath d)"
  # A valid change is written.
  strata set .perspectives /perspectives/tiny "{\"extends\":\"public\",\"rules\":[{\"path\":\"/name\",\"action\":\"mask\"}]}" >/dev/null
  expect_eq "{\"extends\":\"public\",\"rules\":[{\"action\":\"mask\",\"path\":\"/name\"}]}" \
    "$(strata get .perspectives /perspectives/tiny | jpath d)"
'

test_done
