// npm run bench [-- NAME...] [--seconds S] [--partition P] [--flap F] [--mode M] [--base DIR] [--json]
// (S: per case, for modules that take it; P: heal's partition length in seconds; F: flapping's
// length in seconds; M: a module's variant, cluster: procs; DIR: cluster, another built checkout
// for a before/after column)
// Runs every registered benchmark module (or the named ones) and prints its tables.
// A module exports `run(options)` resolving either to tables [{ title, note?, rows }] that
// this runner prints, or to { rows } after printing its own report (options.quiet: don't).
// Later areas register here (bench/sim, bench/cluster).
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const suites = {
  codec: () => import('./codec.mjs'),
  crypto: () => import('./crypto.mjs'),
  lifecycle: () => import('./lifecycle.mjs'),
  sim: () => import('./sim.mjs'),
  cluster: () => import('./cluster.mjs'),
  heal: () => import('./heal.mjs'),
  flapping: () => import('./flapping.mjs'),
  star: () => import('./star.mjs'),
};

function printTable({ title, note, rows }) {
  console.log(`\n## ${title}`);
  if (note) console.log(`   ${note}`);
  if (!rows.length) return;
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const numeric = cols.map((c) => rows.every((r) => /^[\d.,x]+$|^n\/a$/.test(String(r[c]))));
  const cell = (v, i) => (numeric[i] ? String(v).padStart(width[i]) : String(v).padEnd(width[i]));
  console.log(`| ${cols.map(cell).join(' | ')} |`);
  console.log(`| ${width.map((w, i) => (numeric[i] ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ')} |`);
  for (const r of rows) console.log(`| ${cols.map((c, i) => cell(r[c], i)).join(' | ')} |`);
}

const args = process.argv.slice(2);
let seconds = 1;
let json = false;
let partition;
let flap;
let mode;
let base;
const names = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--seconds') seconds = Number(args[++i]);
  else if (args[i] === '--json') json = true;
  else if (args[i] === '--partition') partition = Number(args[++i]);
  else if (args[i] === '--flap') flap = Number(args[++i]);
  else if (args[i] === '--mode') mode = args[++i];
  else if (args[i] === '--base') base = args[++i];
  else names.push(args[i]);
}
for (const n of names) {
  if (!suites[n]) {
    console.error(`bench: unknown benchmark ${n} (known: ${Object.keys(suites).join(', ')})`);
    process.exit(2);
  }
}
if (!globalThis.gc) console.warn('bench: run with --expose-gc (npm run bench does) for steadier figures');

const results = {};
console.log(`swim-native benchmarks — node ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString()}`);
for (const n of names.length ? names : Object.keys(suites)) {
  const mod = await suites[n]();
  if (!json) console.log(`\n# ${n}`);
  const out = await mod.run({ seconds, partition, flap, mode, base, quiet: json, root: path.join(here, '..') });
  results[n] = out;
  if (!json && Array.isArray(out)) for (const t of out) printTable(t);
}
if (json) console.log(JSON.stringify(results, null, 2));
