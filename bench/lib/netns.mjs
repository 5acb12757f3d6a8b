// The network namespace harness (test/helpers/netns.ts) for benches: transpiled on the fly
// with the project's typescript, and a lab that is removed however the bench ends.
import { createRequire, Module } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';

const require = createRequire(import.meta.url);

/** Loads a TypeScript file as CommonJS; its relative imports of other .ts files too. */
function loadTs(filename, cache) {
  if (cache.has(filename)) return cache.get(filename).exports;
  const ts = require('typescript');
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    fileName: filename,
  });
  const m = new Module(filename);
  m.filename = filename;
  m.paths = Module._nodeModulePaths(path.dirname(filename));
  const plain = m.require.bind(m);
  m.require = (id) => {
    const ts = id.startsWith('.') ? path.resolve(path.dirname(filename), `${id}.ts`) : null;
    return ts && fs.existsSync(ts) ? loadTs(ts, cache) : plain(id);
  };
  cache.set(filename, m);
  m._compile(outputText, filename);
  return m.exports;
}

/** Loads test/helpers/netns.ts (and the helpers it imports) as CommonJS. */
export function loadHarness(root) {
  return loadTs(path.join(root, 'test/helpers/netns.ts'), new Map());
}

/**
 * Creates a lab, runs fn(lab) and destroys the lab afterwards, also on an error, SIGINT or
 * SIGTERM (the harness's own exit hook covers process.exit and uncaught errors; a signal's
 * default action would skip it and leave the namespaces behind).
 */
export async function withLab(harness, labOptions, fn) {
  const lab = await harness.NetLab.create(labOptions);
  const onSignal = (sig) => {
    lab.destroySync();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn(lab);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await lab.destroy();
  }
}
