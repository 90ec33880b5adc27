#!/usr/bin/env bash
# The JSON Patch conformance suite (json-patch-tests, tests/objects/data), run
# through `strata patch --doc` rather than the library: what an outside
# conformance run against the CLI would see.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${STRATA:?set STRATA to the strata binary}"
exec python3 "$here/patch_conformance.py" "$here/../objects/data"
