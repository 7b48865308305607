#!/usr/bin/env bash
# make bench: the figures in BENCHMARKS.md. Generates a >= 50 MB 835 with the
# project's own writer, reads it with remitq's x12 package and with node-x12's
# stream parser (installed here into .bench/node), and prints the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .bench bin
GO=${GO:-go}
CLAIMS=${BENCH_CLAIMS:-85000}   # x 2 transaction sets x 2 lines: ~53 MB
FILE=.bench/bench.835

$GO build -o bin/ ./services/remitq
if [ ! -s "$FILE" ]; then
  bin/remitq synth 835 --claims "$CLAIMS" --lines 2 --sets 2 --out "$FILE"
fi
echo "bench file: $FILE ($(du -h "$FILE" | cut -f1))"

echo "== remitq x12 (Go, one core)"
REMITQ_BENCH_835=$PWD/$FILE GOMAXPROCS=1 $GO test -run '^$' -bench 'ScanBaseline|Tokenize|Decode835|Decode837' -benchmem -count 3 ./x12/ | tee .bench/x12.txt

echo "== node-x12 stream parser"
if ! command -v node >/dev/null; then
  echo "node is not installed: skipping the node-x12 comparison" >&2
else
  if [ ! -d .bench/node/node_modules/node-x12 ]; then
    npm install --silent --no-audit --no-fund --prefix .bench/node node-x12@1.7.1 >/dev/null
  fi
  NODE_X12_DIR="$PWD/.bench/node" node scripts/bench_nodex12.js "$FILE" 3 | tee .bench/nodex12.json
  python3 - <<'PY'
import json, re
node = json.load(open('.bench/nodex12.json'))
best, allocs = {}, {}
for line in open('.bench/x12.txt'):
    m = re.match(r'Benchmark(\w+?)(-\d+)?\s+\d+\s+\d+ ns/op\s+([\d.]+) MB/s', line)
    if not m:
        continue
    name = m.group(1)
    best[name] = max(best.get(name, 0), float(m.group(3)))
    segs = re.search(r'([\d.]+) segments/op', line)
    a = re.search(r'(\d+) allocs/op', line)
    if segs and a:
        allocs[name] = int(a.group(1)) / float(segs.group(1))
mib = node['mib_per_s']
print(f"node-x12 stream: {mib:.1f} MiB/s ({node['segments']} segments)")
for k, v in best.items():
    extra = f", {allocs[k]:.4f} allocs/segment" if k in allocs else ""
    print(f"{k}: {v:.0f} MB/s = {v*1e6/1048576:.0f} MiB/s, {v*1e6/1048576/mib:.1f}x node-x12{extra}")
PY
fi

echo "== ingest: 835 files -> PostgreSQL + JetStream (embedded servers, 100,000 lines per run)"
$GO test -run '^$' -bench '^BenchmarkIngest$' -benchtime 3x ./pkg/remitstore/ | tee .bench/ingest.txt

echo "== router: ~100,000 matched lines (LineMatch on MATCHED) -> work items in PostgreSQL (embedded servers)"
$GO test -run '^$' -bench '^BenchmarkRouter$' -benchtime 1x -timeout 20m ./pkg/routesvc/ | tee .bench/router.txt

echo "== api: 1,000,000 open work items (COPY) -> p50/p99 of my work and queue listings through the HTTP stack (token, user, scope, query, JSON)"
$GO test -run '^$' -bench '^BenchmarkAPI$' -benchtime 1000x -timeout 40m ./pkg/apisvc/ | tee .bench/api.txt

echo "== team and escalations: 1,000,000 open work items (INSERT … SELECT generate_series) -> GET /v1/team live (?fresh=true) and from the sweep's snapshot; the overdue, due-soon and escalated lists with and without migration 0030's indexes (plans logged)"
$GO test -run '^$' -bench '^BenchmarkTeam$' -benchtime 100x -timeout 40m -v ./pkg/apisvc/ | tee .bench/team.txt

echo "== console: 1,000,000 open work items (COPY) -> server time p50/p99 and weight of the my-work, queues, item and escalations pages (session, in-process API, template)"
$GO test -run '^$' -bench '^BenchmarkConsole$' -benchtime 300x -timeout 40m ./pkg/consolesvc/ | tee .bench/console.txt

echo "== matcher: 100,000 generated lines (ingested first, untimed) matched into PostgreSQL and published as LineMatch (embedded servers)"
MATCH_BENCH_WORKERS=${MATCH_BENCH_WORKERS:-4} $GO test -run '^$' -bench '^BenchmarkMatcher$' -benchtime 1x ./pkg/matchsvc/ | tee .bench/matcher.txt

echo "== KPI export: a report over 1,000,000 service lines' summary (CSV + XLSX) and the detail CSV behind it (< 5 s)"
$GO test -run '^$' -bench '^BenchmarkExport$' -benchtime 3x -timeout 20m ./pkg/kpi/ | tee .bench/kpi.txt

echo "== pain rules: 100,000 claim lines checked against a history of 1,000,000 lines (>= 50,000 lines/s)"
$GO test -run '^$' -bench '^BenchmarkCheck$' -benchtime 3x -timeout 20m ./pkg/rules/ | tee .bench/rules.txt

echo "== end to end: a truth set's 835s -> ingest -> matcher -> router -> work items (1 and 2 sets of workers)"
for w in 1 2; do
  PIPELINE_BENCH_WORKERS=$w $GO test -run '^$' -bench '^BenchmarkPipeline$' -benchtime 1x -timeout 30m ./pkg/e2e/ | tee -a .bench/pipeline.txt
done

echo "== end to end latency: upload -> last work item of a ~2,000-line file, p50 over 20 files"
$GO test -run '^$' -bench '^BenchmarkLatency$' -benchtime 1x -timeout 30m ./pkg/e2e/ | tee .bench/latency.txt

echo "== upload memory: one 835 of ~1, 10 and 100 MB POSTed to a real ingest service -> peak RSS growth and bytes allocated per upload"
$GO test -run '^$' -bench '^BenchmarkUploadMemory$' -benchtime 1x -timeout 20m ./pkg/ingestsvc/ | tee .bench/upload-memory.txt

echo "== list under load: 200 concurrent clients on a PostgreSQL list endpoint through svc's served handler, without and with the limits (p50/p99, sheds, timeouts)"
$GO test -run '^$' -bench '^BenchmarkListUnderLoad$' -benchtime 1x -timeout 10m ./pkg/svc/ | tee .bench/list-load.txt
