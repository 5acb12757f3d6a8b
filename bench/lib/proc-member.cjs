// One cluster member in its own process, for the one-member-per-process mode of
// bench/cluster.mjs (swim-native and happn-swim; tarantool members run
// bench/lib/proc-member.lua instead, with the same protocol).
//   node proc-member.cjs <library> '<settings json>' '<peer json or null>' <members> <root>
// Prints JSON lines: ready {id, addr}; mesh (once it sees members-1 peers alive, after
// which it stops looking); sent {packets, bytes} on "sent". stdin: "sent", "exit".
// The parent reading its end of the pipe closed (EOF) makes it exit.
'use strict';
const readline = require('node:readline');
const { adapters } = require('./cluster-adapters.cjs');

const [lib, settingsJson, peerJson, members, root] = process.argv.slice(2);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

(async () => {
  const adapter = adapters[lib](JSON.parse(settingsJson), root);
  const m = await adapter.create(JSON.parse(peerJson));
  print({ type: 'ready', id: m.id, addr: m.addr });
  // Polled until the mesh is complete, then never again: the measured window sees only
  // the library's own work.
  const poll = setInterval(() => {
    if (m.size() === Number(members) - 1 && m.aliveCount() === Number(members) - 1) {
      clearInterval(poll);
      print({ type: 'mesh' });
    }
  }, 100);
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('close', () => process.exit(0));
  rl.on('line', async (line) => {
    const cmd = line.trim();
    if (cmd === 'sent') print({ type: 'sent', ...m.sent() });
    else if (cmd === 'exit') {
      clearInterval(poll);
      await m.kill();
      process.exit(0);
    }
  });
})();
