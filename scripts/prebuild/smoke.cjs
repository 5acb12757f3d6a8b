// node scripts/prebuild/smoke.cjs — with SWIM_NATIVE_BINARY=<a prebuilt .node>: loads it through
// dist/ and runs a 5-node simulation to full mesh, then two real Swim members on 127.0.0.1
// (native worker threads, UDP) until each sees the other alive. Used where the binary runs
// in a foreign environment: arm64 under qemu (scripts/prebuild.sh), glibc 2.31
// (scripts/prebuild/check-glibc-2.31.sh).
'use strict';
const path = require('node:path');
const root = path.resolve(__dirname, '../..');
const { Simulation } = require(path.join(root, 'dist/sim.js'));
const { Swim } = require(path.join(root, 'dist/index.js'));

const sim = new Simulation({ nodes: 5, seed: 1 });
for (let i = 2; i <= 5; i++) sim.addMember(1, i);
if (sim.runUntil({ fullmesh: true }, 300) < 0) throw new Error('smoke: the simulation did not reach full mesh');

const a = new Swim({ uri: '127.0.0.1:0', heartbeatRate: 0.1, ackTimeout: 0.2 });
const b = new Swim({ uri: '127.0.0.1:0', heartbeatRate: 0.1, ackTimeout: 0.2 });
a.addMember({ uri: b.uri, uuid: b.uuid });
b.addMember({ uri: a.uri, uuid: a.uuid });
const started = Date.now();
const alive = (x, y) => x.member(y.uuid)?.status === 'alive';
(function poll() {
  if (alive(a, b) && alive(b, a)) {
    const glibc = process.report.getReport().header.glibcVersionRuntime;
    console.log(`smoke: ok: node ${process.version} ${process.arch}, glibc ${glibc}: ` +
      `simulated full mesh; two Swim members alive to each other after ${Date.now() - started} ms`);
    Promise.all([a.close(), b.close()]);
    return;
  }
  if (Date.now() - started > 60_000) throw new Error('smoke: the two Swim members did not see each other alive within 60 s');
  setTimeout(poll, 25);
})();
