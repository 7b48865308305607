#!/usr/bin/env bash
# make fuzz: run every Go fuzz target in the module for FUZZTIME each
# (default 3m). A crasher is written by go test into the package's
# testdata/fuzz/<Target>/ and fails the run: commit it as a regression test.
# Among them FuzzUpload (pkg/ingestsvc): bytes -> POST /v1/remittances
# and the watched folder against embedded PostgreSQL, seeded from
# /work/shared/corpus/835 and x12/testdata; every input must be stored or
# quarantined, never a 5xx or a file left to be retried.
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
