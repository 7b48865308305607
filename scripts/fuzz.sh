#!/usr/bin/env bash
# make fuzz: run every Go fuzz target in the module for FUZZTIME each
# (default 3m). A crasher is written by go test into the package's
# testdata/fuzz/<Target>/ and fails the run: commit it as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${1:-3m}
GO=${GO:-go}
status=0
for pkg in $($GO list ./...); do
  for target in $($GO test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "== $pkg $target ($FUZZTIME)"
    if ! $GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"; then
      status=1
    fi
  done
done
exit $status
