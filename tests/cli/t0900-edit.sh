#!/usr/bin/env bash
# edit: $VISUAL / $EDITOR, one version per save, invalid JSON kept and offered back.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
strata set d /a 1 >/dev/null
cd "$TRASH"

# An editor that saves a copy of what it was given, then runs sed on it.
cat >"$TRASH/seen-editor" <<'EOT'
#!/bin/sh
cp "$1" "$HOME/seen.json"
exec sed -i "$SED_SCRIPT" "$1"
EOT
chmod +x "$TRASH/seen-editor"

# kept_file: the temporary file an error line names.
kept_file() { err | sed -n "s/.*kept in \(.*\)$/\1/p"; }

test_expect_success 'EDITOR rewrites the file: one version with the new content' '
  cd r
  before=$(count_versions)
  EDITOR="sed -i s/1/2/" strata edit d </dev/null >out
  expect_eq $((before + 1)) "$(count_versions)"
  expect_eq "{\"a\":2}" "$(strata get d)"
  expect_match "^\[main [0-9a-f]{12}\] .*d.* \(1 operation\)$" "$(cat out)"
'

test_expect_success 'the editor is given the document, pretty-printed' '
  cd r
  strata set d /b "{\"c\":[1,true]}" >/dev/null
  SED_SCRIPT="s/true/false/" EDITOR="$TRASH/seen-editor" strata edit d </dev/null >/dev/null
  printf "{\n  \"a\": 2,\n  \"b\": {\n    \"c\": [\n      1,\n      true\n    ]\n  }\n}\n" >expect
  expect_files_eq expect "$HOME/seen.json"
  expect_eq "[1,false]" "$(strata get d /b/c)"
'

test_expect_success 'VISUAL wins over EDITOR' '
  cd r
  VISUAL="sed -i s/2/3/" EDITOR=false strata edit d </dev/null >/dev/null
  expect_eq 3 "$(strata get d /a)"
'

test_expect_success 'a new document starts as {}' '
  cd r
  SED_SCRIPT="s/{}/[7]/" EDITOR="$TRASH/seen-editor" strata edit newdoc </dev/null >/dev/null
  expect_eq "{}" "$(cat "$HOME/seen.json")"
  expect_eq "[7]" "$(strata get newdoc)"
'

test_expect_success '-m and --label apply to the version' '
  cd r
  EDITOR="sed -i s/3/4/" strata edit d -m "edited by hand" --label manual </dev/null >/dev/null
  expect_eq "edited by hand" "$(sgit log -1 --format=%s)"
  expect_eq "[\"manual\"]" "$(strata show --json | jpath "d[\"labels\"]")"
'

test_expect_success 'saving without a change writes nothing' '
  cd r
  before=$(sgit rev-parse main)
  out=$(EDITOR=true strata edit d </dev/null)
  expect_eq "nothing changed; no version written" "$out"
  # reformatting is not a change either
  out=$(EDITOR="sed -i s/^\ *//" strata edit d </dev/null)
  expect_eq "nothing changed; no version written" "$out"
  expect_eq "$before" "$(sgit rev-parse main)"
'

test_expect_success 'invalid JSON with no terminal: exit 1, nothing written, text kept' '
  cd r
  snapshot_repo
  rc=0
  EDITOR="sed -i s/4/oops/" strata edit d </dev/null >out 2>"$TRASH/.err" || rc=$?
  expect_eq 1 "$rc"
  expect_eq "" "$(cat out)"
  expect_match "^strata: error: .*:2:8: invalid JSON" "$(head -n 1 "$TRASH/.err")"
  expect_match "^strata: error: nothing was written; your text is kept in /" "$(tail -n 1 "$TRASH/.err")"
  f=$(kept_file)
  test -f "$f"
  grep -q oops "$f"
  rm -f "$f"
  expect_repo_unchanged
  expect_eq 4 "$(strata get d /a)"
'

test_expect_success 'an editor that fails: exit 1, nothing written' '
  cd r
  snapshot_repo
  EDITOR="false" expect_fail 1 strata edit d </dev/null
  expect_match "editor" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'on a terminal, invalid JSON is offered back; the second save is written' '
  need_tty
  cd r
  cat >"$TRASH/twice-editor" <<-\EOT
	#!/bin/sh
	n=$(cat "$HOME/count" 2>/dev/null || echo 0); n=$((n + 1)); echo $n >"$HOME/count"
	if [ $n = 1 ]; then echo "{\"a\": oops" >"$1"; else echo "{\"a\": 5}" >"$1"; fi
	EOT
  chmod +x "$TRASH/twice-editor"
  rm -f "$HOME/count"
  before=$(count_versions)
  EDITOR="$TRASH/twice-editor" on_tty --input "y
" "$STRATA" edit d --color=never >out
  expect_eq 2 "$(cat "$HOME/count")"
  expect_match "Edit again\?" "$(cat out)"
  expect_eq $((before + 1)) "$(count_versions)"
  expect_eq "{\"a\":5}" "$(strata get d)"
'

test_expect_success 'on a terminal, declining keeps the text and writes nothing' '
  need_tty
  cd r
  rm -f "$HOME/count"
  snapshot_repo
  rc=0
  EDITOR="$TRASH/twice-editor" on_tty --input "n
" "$STRATA" edit d --color=never >out || rc=$?
  expect_eq 1 "$rc"
  expect_eq 1 "$(cat "$HOME/count")"
  f=$(sed -n "s/.*kept in \(.*\)$/\1/p" out)
  test -f "$f"
  rm -f "$f"
  expect_repo_unchanged
'

test_done
