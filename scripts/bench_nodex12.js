// Reads an X12 file with node-x12's stream parser (its fastest mode) and
// prints one JSON line: bytes, segments, seconds, MiB/s. Best of N runs.
const fs = require('fs');
const { X12Parser } = require(process.env.NODE_X12_DIR + '/node_modules/node-x12');
const file = process.argv[2];
const runs = parseInt(process.argv[3] || '3', 10);
const bytes = fs.statSync(file).size;

function once() {
  return new Promise((resolve, reject) => {
    const parser = new X12Parser(false);
    let segments = 0;
    const t0 = process.hrtime.bigint();
    fs.createReadStream(file)
      .pipe(parser)
      .on('data', () => { segments++; })
      .on('error', reject)
      .on('end', () => resolve({ segments, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }));
  });
}

(async () => {
  let best = null;
  for (let i = 0; i < runs; i++) {
    const r = await once();
    if (!best || r.seconds < best.seconds) best = r;
  }
  console.log(JSON.stringify({ tool: 'node-x12 stream', bytes, segments: best.segments, seconds: best.seconds, mib_per_s: bytes / best.seconds / 1048576 }));
})();
