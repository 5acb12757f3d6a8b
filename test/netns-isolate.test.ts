// The harness's network switch (NetLab.isolate, test/helpers/netns.ts), which bench/flapping.mjs
// uses to take hosts off the network: while a host is isolated no UDP datagram leaves it or
// reaches it, and switching it back on restores both ways. Plain UDP sockets, no members, so
// the drop counters count only the datagrams sent here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { NetLab, requireNetns } from './helpers/netns';
import { waitFor } from './helpers/wait';

const netns = requireNetns();
const PORT = 4999;
const N = 20;

// Receiver: binds the host's address, prints the running count of datagrams from `from`.
const RECEIVER = `
const s = require('node:dgram').createSocket('udp4');
let n = 0;
s.on('message', (m, r) => { if (r.address === process.argv[2]) console.log(++n); });
s.bind(${PORT}, process.argv[1], () => console.log('ready'));
process.stdin.on('end', () => process.exit(0)).resume();
`;
// Sender: N datagrams to addr:port; prints how many sends failed (an output drop is EPERM).
const SENDER = `
const s = require('node:dgram').createSocket('udp4');
let done = 0, failed = 0;
for (let i = 0; i < ${N}; i++) s.send('x', ${PORT}, process.argv[1], (err) => {
  if (err) failed++;
  if (++done === ${N}) { console.log(failed); s.close(); }
});
`;

describe.skipIf(!netns.available)('netns: isolate', () => {
  let lab: NetLab;
  let receiver: ChildProcessWithoutNullStreams;
  let received = 0;

  beforeAll(async () => {
    lab = await NetLab.create({ hosts: 2, subnet: 74 });
    receiver = spawn(lab.wrap('h2')[0]!, [...lab.wrap('h2').slice(1), process.execPath, '-e', RECEIVER, lab.addr('h2'), lab.addr('h1')]);
    let ready = false;
    receiver.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        if (line === 'ready') ready = true;
        else received = Number(line);
      }
    });
    await waitFor(() => ready, 15_000, { what: 'the receiver on h2 is bound' });
  });
  afterAll(async () => {
    receiver?.stdin.end();
    await lab?.destroy();
  });

  const send = async () => Number(await lab.exec('h1', [process.execPath, '-e', SENDER, lab.addr('h2')]));

  it('drops every datagram a host sends, and none once switched back on', async () => {
    expect(await send()).toBe(0);
    await waitFor(() => received === N, 15_000, { what: `${N} datagrams h1 -> h2 before any isolation` });

    await lab.isolate(['h1'], true);
    expect(await send()).toBe(N); // every send refused at h1's output hook
    expect(await lab.isolationCounters('h1')).toEqual({ in: 0, out: N });
    await lab.isolate(['h1'], false);

    expect(await send()).toBe(0);
    await waitFor(() => received === 2 * N, 15_000, { what: `${N} more datagrams after h1 is back` });
  });

  it('drops every datagram a host receives, and none once switched back on', async () => {
    const before = received;
    await lab.isolate(['h2'], true);
    expect(await send()).toBe(0); // they leave h1 ...
    await waitFor(async () => (await lab.isolationCounters('h2')).in === N, 15_000, { what: `${N} datagrams dropped at h2's input`, intervalMs: 100 });
    // ... and are dropped at h2's input hook, before any socket: the receiver never saw one.
    expect(received).toBe(before);
    expect((await lab.isolationCounters('h2')).out).toBe(0);
    await lab.isolate(['h2'], false);

    expect(await send()).toBe(0);
    await waitFor(() => received === before + N, 15_000, { what: `${N} datagrams after h2 is back` });
  });
});
