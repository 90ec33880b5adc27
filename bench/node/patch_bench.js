// Peer benchmarks: npm's fast-json-patch and jsondiffpatch on the cases
// bench/patch_bench wrote.
//
//   node patch_bench.js CASES_DIR [STRATA_RESULTS.json]
//
// For each case (A, B and the RFC 6902 patch from A to B) it times
//   compare(A, B)                                  (fast-json-patch's diff)
//   applyPatch(A, patch, false, false)             (on a deep clone of A: atomic, like strata's ApplyPatch)
//   applyPatch(copy, patch, false, true)           (in place; the copy is made outside the timing)
// and jsondiffpatch (its own delta format, not RFC 6902; a second table):
//   diff(A, B)                                     (its diff)
//   patch(structuredClone(A), delta)               (apply; the clone is timed, as strata's atomic apply copies)
// Each figure is the median of 7 batches of >= 50 ms (or >= 0.5 s with
// setup), per operation. With
// strata's results (patch_bench --json), it prints both with ratios.
'use strict';
const fs = require('fs');
const path = require('path');
const jsonpatch = require('fast-json-patch');

function timePerOp(setup, op) {
  let iters = 1;
  let wall = 0;  // the batch's time including setup
  const batch = () => {
    let spent = 0n;
    const start = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) {
      setup();
      const t = process.hrtime.bigint();
      op();
      spent += process.hrtime.bigint() - t;
    }
    wall = Number(process.hrtime.bigint() - start) / 1e9;
    return Number(spent) / 1e9;
  };
  // Grow the batch to >= 50 ms of timed work, unless setup makes it slow.
  while (batch() < 0.05 && wall < 0.5 && iters < (1 << 20)) iters *= 4;
  const per = [];
  for (let b = 0; b < 7; b++) per.push(batch() / iters);
  per.sort((x, y) => x - y);
  return per[3];
}

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node patch_bench.js CASES_DIR [STRATA_RESULTS.json]');
  process.exit(2);
}
const strata = {};
if (process.argv[3]) {
  for (const r of JSON.parse(fs.readFileSync(process.argv[3], 'utf8')).results) strata[r.case] = r;
}
const us = (s) => (s * 1e6).toPrecision(3) + ' us';
const ratio = (peer, ours) => (ours > 0 ? (peer / ours).toPrecision(2) + 'x' : '-');
const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8'));
const results = [];
console.log('| case | fast-json-patch compare | ops | strata DiffValues | ratio | fast-json-patch apply (clone) | ' +
            'strata ApplyPatch (atomic) | ratio | fast-json-patch apply (in place) | strata apply (in place) | ratio |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const name of cases) {
  const read = (suffix) => JSON.parse(fs.readFileSync(path.join(dir, `${name}.${suffix}.json`), 'utf8'));
  const a = read('a');
  const b = read('b');
  const patch = read('patch');
  // The patch must take A to B here too, or the comparison means nothing.
  const check = jsonpatch.applyPatch(jsonpatch.deepClone(a), patch, true, true).newDocument;
  if (jsonpatch.compare(check, b).length !== 0) {
    console.error(`patch_bench.js: the patch of ${name} does not give B`);
    process.exit(1);
  }
  let ops = 0;
  const diff = timePerOp(() => {}, () => { ops = jsonpatch.compare(a, b).length; });
  const applyClone = timePerOp(() => {}, () => { jsonpatch.applyPatch(a, patch, false, false); });
  let doc;
  const applyInPlace = timePerOp(() => { doc = jsonpatch.deepClone(a); },
                                 () => { jsonpatch.applyPatch(doc, patch, false, true); });
  const s = strata[name] || {};
  results.push({ case: name, compare_s: diff, compare_ops: ops, apply_clone_s: applyClone, apply_inplace_s: applyInPlace });
  console.log(`| ${name} | ${us(diff)} | ${ops} | ${s.diff_s ? us(s.diff_s) : '-'} | ${ratio(diff, s.diff_s)} | ` +
              `${us(applyClone)} | ${s.apply_s ? us(s.apply_s) : '-'} | ${ratio(applyClone, s.apply_s)} | ` +
              `${us(applyInPlace)} | ${s.apply_inplace_s ? us(s.apply_inplace_s) : '-'} | ${ratio(applyInPlace, s.apply_inplace_s)} |`);
}

// jsondiffpatch is an ES module: loaded with import().
import('jsondiffpatch').then((jdp) => {
  const differ = jdp.create();
  console.log('');
  console.log('| case | jsondiffpatch diff | strata DiffValues | ratio | jsondiffpatch patch (clone) | ' +
              'strata ApplyPatch (atomic) | ratio |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const name of cases) {
    const read = (suffix) => JSON.parse(fs.readFileSync(path.join(dir, `${name}.${suffix}.json`), 'utf8'));
    const a = read('a');
    const b = read('b');
    const delta = differ.diff(a, b);
    if (differ.diff(differ.patch(structuredClone(a), delta), b) !== undefined) {
      console.error(`patch_bench.js: jsondiffpatch's delta of ${name} does not give B`);
      process.exit(1);
    }
    const diff = timePerOp(() => {}, () => { differ.diff(a, b); });
    const apply = timePerOp(() => {}, () => { differ.patch(structuredClone(a), delta); });
    const s = strata[name] || {};
    const r = results.find((x) => x.case === name);
    r.jsondiffpatch_diff_s = diff;
    r.jsondiffpatch_patch_s = apply;
    console.log(`| ${name} | ${us(diff)} | ${s.diff_s ? us(s.diff_s) : '-'} | ${ratio(diff, s.diff_s)} | ` +
                `${us(apply)} | ${s.apply_s ? us(s.apply_s) : '-'} | ${ratio(apply, s.apply_s)} |`);
  }
  if (process.env.PATCH_BENCH_JSON) fs.writeFileSync(process.env.PATCH_BENCH_JSON, JSON.stringify({ results }) + '\n');
});
