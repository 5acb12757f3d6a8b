// Randomized, seeded lifecycle torture.
//   npm run torture -- --runs N [--seed S] [--ops M] [--jobs J] [--timeout MS]
// Each run is a child process (scripts/torture-child.cjs) doing a random sequence of
// create / configure / rebind / setCodec / add / payload / close / quit / drop / gc / fatal error /
// unchecked native stop / close-from-handler / worker_threads spawn, terminate and end,
// then ending in a random way (normal end, process.exit, uncaught exception, a throwing
// 'uncaughtException' handler, SIGTERM, process.exit from an event handler). A run passes
// when the child exits with the code it announced, no signal, no sanitizer/V8 report, and
// (normal end) its lifecycle tallies balance and no swim thread is left.
// Needs dist/ (npm run build); the children load the test build of the addon (its hooks:
// fatal errors, unchecked stops, tallies), built here first unless SWIM_NATIVE_BINARY names
// one. Run 0 uses the seed itself, so a failing run replays with:
// npm run torture -- --runs 1 --seed <its seed>.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'torture-child.cjs');
const CRASH = /AddressSanitizer|LeakSanitizer|runtime error:|FATAL ERROR|Segmentation fault|core dumped|Assertion failed|napi_/;

function parseArgs(argv) {
  const o = { runs: 10, seed: undefined, ops: 150, jobs: 1, timeout: 120_000, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--runs') o.runs = Number(v());
    else if (a === '--seed') o.seed = Number(v()) >>> 0;
    else if (a === '--ops') o.ops = Number(v());
    else if (a === '--jobs') o.jobs = Number(v());
    else if (a === '--timeout') o.timeout = Number(v());
    else if (a === '--quiet') o.quiet = true;
    else throw new Error(`torture: unknown argument ${a}`);
  }
  if (o.seed === undefined) o.seed = (Math.random() * 0x100000000) >>> 0;
  return o;
}

/** Run i's seed: the base itself for run 0, then a 32-bit mix of (base, i). */
export function runSeed(base, i) {
  if (i === 0) return base >>> 0;
  let h = (base ^ Math.imul(i, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function runOne(seed, ops, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--expose-gc', '--no-warnings', CHILD, String(seed), String(ops)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let ending = null;
    let signalled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        let o;
        try {
          o = JSON.parse(line);
        } catch {
          continue;
        }
        if (o.type === 'ending') ending = o;
        if (o.type === 'ready' && !signalled) {
          signalled = true;
          child.kill('SIGTERM');
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    // 'close', not 'exit': only then has all of the child's stdout been read (under load the
    // exit can be seen before the last line, the ending's announcement).
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - t0;
      const problems = [];
      if (signal) problems.push(`killed by ${signal}${Date.now() - t0 >= timeoutMs ? ' (timeout)' : ''}`);
      if (!ending) problems.push('never announced its ending');
      else if (code !== ending.code) problems.push(`exit code ${code}, announced ${ending.code} (${ending.how})`);
      if (CRASH.test(stderr)) problems.push('crash report on stderr');
      const failed = stdout.split('\n').find((l) => l.includes('"type":"failed"'));
      if (failed) problems.push(`child failed: ${failed}`);
      resolve({ seed, code, signal, ms, how: ending?.how, problems, stdout, stderr });
    });
  });
}

export async function torture(options) {
  const o = { ...parseArgs([]), ...options };
  const log = (s) => {
    if (!o.quiet) console.log(s);
  };
  log(`torture: base seed ${o.seed}, ${o.runs} run(s), ${o.ops} ops each, ${o.jobs} at a time`);
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < o.runs) {
      const i = next++;
      const seed = runSeed(o.seed, i);
      const r = await runOne(seed, o.ops, o.timeout);
      results.push(r);
      const status = r.problems.length ? 'FAIL' : 'ok';
      log(`  run ${i}: seed ${seed} ${r.how ?? '?'} -> code ${r.code}${r.signal ? ` signal ${r.signal}` : ''} in ${r.ms} ms: ${status}`);
      if (r.problems.length) {
        log(`    ${r.problems.join('\n    ')}`);
        log(`    replay: npm run torture -- --runs 1 --seed ${seed}`);
        log(`    stderr (tail):\n${r.stderr.split('\n').slice(-30).join('\n')}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, worker));
  const failed = results.filter((r) => r.problems.length);
  log(`torture: ${results.length - failed.length}/${results.length} runs clean (base seed ${o.seed})`);
  return { seed: o.seed, results, failed };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = parseArgs(process.argv.slice(2));
  if (!process.env.SWIM_NATIVE_BINARY) {
    const out = execFileSync('bash', [path.join(here, 'build-test-addon.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    process.env.SWIM_NATIVE_BINARY = out.trim().split('\n').pop();
  }
  const { failed } = await torture(o);
  process.exit(failed.length ? 1 : 0);
}
