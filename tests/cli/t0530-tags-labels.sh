#!/usr/bin/env bash
# tag and label: git tags under refs/tags/, labels added later as git notes
# on refs/notes/strata-labels; what log, show and git see of them.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
echo 1 | strata put d - --label own -m one >/dev/null
echo 2 | strata put d - -m two >/dev/null
cd "$TRASH"

test_expect_success 'tag NAME [REV]: lightweight, annotated with -m; tag lists them' '
  cd r
  expect_eq "tagged $(sgit rev-parse --short=12 main~1) as v1" "$(strata tag v1 HEAD~1)"
  STRATA_TIME=1700000300 strata tag v2 -m "second release" >out
  expect_eq "tagged $(sgit rev-parse --short=12 main) as v2 (annotated)" "$(cat out)"
  printf "v1  %s\nv2  %s  second release\n" "$(sgit rev-parse --short=12 main~1)" \
    "$(sgit rev-parse --short=12 main)" >expect
  strata tag >actual
  expect_files_eq expect actual
  expect_eq "1" "$(strata get d@v1)"
'

test_expect_success 'tag --json: name, version, annotated, message, tagger, time' '
  cd r
  strata tag --json >t.json
  expect_eq "[{\"annotated\":false,\"message\":null,\"name\":\"v1\",\"tagger\":null,\"time\":null,\"version\":\"$(sgit rev-parse main~1)\"},{\"annotated\":true,\"message\":\"second release\",\"name\":\"v2\",\"tagger\":{\"email\":\"test@example.com\",\"name\":\"Test User\"},\"time\":\"2023-11-14T22:18:20Z\",\"version\":\"$(sgit rev-parse main)\"}]" \
    "$(jpath d <t.json)"
'

test_expect_success 'git sees the tags: git tag, cat-file, fsck --strict' '
  cd r
  expect_eq "$(printf "v1\nv2")" "$(sgit tag)"
  expect_eq tag "$(sgit cat-file -t v2)"
  expect_eq commit "$(sgit cat-file -t v1)"
  expect_match "^second release" "$(sgit tag -n1 -l v2 | sed "s/^v2 *//")"
  sgit fsck --strict 2>&1
'

test_expect_success 'an existing tag is refused (1) unless -f; bad names (1); usage (2)' '
  cd r
  snapshot_repo
  expect_fail 1 strata tag v1 HEAD
  expect_eq "strata: error: tag '"'"'v1'"'"' already exists (use -f to replace it)" "$(err)"
  expect_fail 1 strata tag "bad name"
  expect_match "is not a valid tag name" "$(err)"
  expect_fail 1 strata tag x nope
  expect_fail 2 strata tag -d
  expect_repo_unchanged
  strata tag -f v1 HEAD >/dev/null
  expect_eq "$(sgit rev-parse main)" "$(sgit rev-parse v1)"
'

test_expect_success 'tag -d deletes; a missing tag is an error' '
  cd r
  expect_eq "deleted tag v1" "$(strata tag -d v1)"
  expect_eq "v2" "$(sgit tag)"
  expect_fail 1 strata tag -d v1
  expect_eq "strata: error: no tag '"'"'v1'"'"'" "$(err)"
'

test_expect_success 'label REV LABEL...: added later, the version is not rewritten' '
  cd r
  before=$(sgit rev-parse main)
  strata label HEAD~1 reviewed ok >out
  expect_eq "$before" "$(sgit rev-parse main)"
  cat >expect <<-EOT
	version $(sgit rev-parse main~1)
	labels        own
	added later   reviewed, ok
	EOT
  expect_files_eq expect out
  strata label HEAD~1 >out2
  expect_files_eq expect out2
  expect_eq "{\"added_labels\":[\"reviewed\",\"ok\"],\"labels\":[\"own\"],\"version\":\"$(sgit rev-parse main~1)\"}" \
    "$(strata label HEAD~1 --json | jpath d)"
'

test_expect_success 'git reads the notes: notes show, log --notes' '
  cd r
  expect_eq "$(printf "Label: reviewed\nLabel: ok")" "$(sgit notes --ref strata-labels show main~1)"
  expect_match "^    Label: reviewed" "$(sgit log --notes=strata-labels -1 main~1)"
  sgit fsck --strict 2>&1
'

test_expect_success 'log and show print both kinds of labels, and tags' '
  cd r
  expect_match "one  \[own, \+reviewed, \+ok\]$" "$(strata log)"
  strata show HEAD~1 >show.txt
  expect_match "^labels  own  \(written with the version\)$" "$(cat show.txt)"
  expect_match "^labels  reviewed, ok  \(added later: strata label\)$" "$(cat show.txt)"
  expect_match "^tags    v2$" "$(strata show HEAD)"
  strata show HEAD~1 --json >s.json
  expect_eq "[\"own\"]" "$(jpath "d[\"labels\"]" <s.json)"
  expect_eq "[\"reviewed\",\"ok\"]" "$(jpath "d[\"added_labels\"]" <s.json)"
  expect_eq "[]" "$(jpath "d[\"tags\"]" <s.json)"
  expect_eq "[\"v2\"]" "$(strata show --json | jpath "d[\"tags\"]")"
  expect_eq "[\"reviewed\",\"ok\"]" "$(strata log --json | jpath "d[1][\"added_labels\"]")"
'

test_expect_success 'label --remove: added labels only' '
  cd r
  strata label --remove HEAD~1 ok >/dev/null
  expect_eq "[\"reviewed\"]" "$(strata label HEAD~1 --json | jpath "d[\"added_labels\"]")"
  snapshot_repo
  expect_fail 1 strata label --remove HEAD~1 own
  expect_match "label '"'"'own'"'"' was written with version" "$(err)"
  expect_fail 1 strata label --remove HEAD~1 nope
  expect_fail 1 strata label HEAD~1 "bad label"
  expect_fail 2 strata label --remove HEAD~1
  expect_fail 2 strata label
  expect_repo_unchanged
  expect_eq "nothing changed; the version has them all" "$(strata label HEAD~1 reviewed own | head -n 1)"
  expect_repo_unchanged
'

test_done
