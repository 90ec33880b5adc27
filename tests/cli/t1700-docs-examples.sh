#!/usr/bin/env bash
# Every ```sh example in README.md and docs/guide.md runs as written, in
# order, each file in a fresh folder with the built strata on PATH, as a
# reader would paste them (tests/cli/doc_examples.py; ```sh skip marks the
# few that need the network or an install). A failure names FILE:LINE.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$TEST_SRC_DIR/../.." && pwd)
BIN_DIR=$(dirname "$STRATA")

# run_doc FILE: its examples in a new folder; prints the extractor's report.
run_doc() {
  local dir
  dir=$(mktemp -d "$TRASH/doc.XXXXXX")
  (
    cd "$ROOT"
    # A reader's environment: no fixed time or author, no repository chosen.
    unset STRATA_TIME STRATA_AUTHOR STRATA_TIMEOUT
    PATH="$BIN_DIR:$PATH" python3 "$TEST_SRC_DIR/doc_examples.py" "$1" "$dir"
  )
}

test_expect_success 'README.md: every example runs as written' '
  run_doc README.md
'

test_expect_success 'docs/guide.md: every example runs as written' '
  run_doc docs/guide.md
'

test_expect_success 'few examples are skipped, and each says why in the text' '
  cd "$ROOT"
  n=$(grep -c "^\`\`\`sh skip" README.md docs/guide.md | awk -F: "{s += \$2} END {print s}")
  test "$n" -le 3
'

test_expect_success 'the extractor stops at the first failing line and names it' '
  cat >doc.md <<-"EOF"
	# t
	```sh
	echo one
	```
	```sh skip
	exit 3
	```
	```sh
	echo two
	false
	echo three
	```
	EOF
  mkdir w
  rc=0
  python3 "$TEST_SRC_DIR/doc_examples.py" doc.md w >out.txt || rc=$?
  expect_eq 1 "$rc"
  expect_match "^doc.md:10: failed \(exit 1\): false\$" "$(cat out.txt)"
  expect_match "^two\$" "$(cat out.txt)"
  expect_no_match "three" "$(cat out.txt)"
  expect_no_match "exit 3" "$(grep -v skipped out.txt)"
'

test_done
