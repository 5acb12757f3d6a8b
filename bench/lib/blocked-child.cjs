// A cluster member in its own process whose main thread gets blocked on command, for the
// blocked-event-loop scenario of bench/cluster.mjs.
//   node blocked-child.cjs <library> '<settings json>' '<peer json>' <root>
// Prints JSON lines: ready {id}; blocking; unblocked {blockedMs}. stdin: "block <ms>", "exit".
'use strict';
const readline = require('node:readline');
const { adapters } = require('./cluster-adapters.cjs');

const [lib, settingsJson, peerJson, root] = process.argv.slice(2);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

(async () => {
  const adapter = adapters[lib](JSON.parse(settingsJson), root);
  const m = await adapter.create(JSON.parse(peerJson));
  print({ type: 'ready', id: m.id });
  const rl = readline.createInterface({ input: process.stdin });
  // The parent went away (its end of the pipe closed): do not outlive it.
  rl.on('close', () => process.exit(0));
  rl.on('line', async (line) => {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === 'block') {
      print({ type: 'blocking' });
      const start = Date.now();
      // eslint-disable-next-line no-empty
      while (Date.now() - start < Number(arg)) {}
      print({ type: 'unblocked', blockedMs: Date.now() - start });
    } else if (cmd === 'exit') {
      await m.kill();
      rl.close();
      process.exit(0);
    }
  });
})();
