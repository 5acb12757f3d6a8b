// Failure detection must not depend on the JavaScript event loop: a member whose main
// thread is blocked for 10 s (in a child process) keeps answering pings from its native
// worker thread, and no peer ever suspects it.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Swim, type MemberEvent } from '../src/index';
import { Child, FIXTURES } from './helpers/child';
import { waitFor } from './helpers/wait';

const PEERS = 4;
const BLOCK_MS = 10_000;

const peers: Swim[] = [];
let child: Child | undefined;

afterAll(async () => {
  child?.kill();
  await Promise.all(peers.map((p) => p.close()));
});

describe('a member whose event loop is blocked', () => {
  it(`is never suspected while its main thread busy-loops for ${BLOCK_MS / 1000} s`, async () => {
    for (let i = 0; i < PEERS; i++) peers.push(new Swim({ uri: '127.0.0.1:0' }));
    for (let i = 1; i < PEERS; i++) peers[i].addMember({ uri: peers[i - 1].uri, uuid: peers[i - 1].uuid });
    const c = new Child([
      path.join(FIXTURES, 'blocked-member.cjs'),
      JSON.stringify([{ uri: peers[0].uri, uuid: peers[0].uuid }]),
    ]);
    child = c;
    const ready = await c.json<{ uri: string; uuid: string }>('ready', 15_000);
    await waitFor(
      () => peers.every((p) => p.size === PEERS + 1 && p.members().every((m) => m.status === 'alive')),
      20_000,
      { what: 'fullmesh including the child' },
    );

    // Everything the peers say about the child from now on.
    const bad: string[] = [];
    peers.forEach((p, i) =>
      p.on('member', (ev: MemberEvent) => {
        if (ev.member.uuid === ready.uuid && ev.member.status !== 'alive') bad.push(`peer ${i}: ${ev.member.status}`);
      }),
    );
    const before = peers.map((p) => p.stats());

    c.send(`block ${BLOCK_MS}`);
    await c.json('blocking', 10_000);
    // Poll the peers' view all along the block (and a little after).
    const polled: string[] = [];
    const unblocked = c.json<{ blockedMs: number; pingsReceived: number; acksSent: number }>('unblocked', BLOCK_MS + 20_000);
    let done = false;
    void unblocked.then(() => (done = true), () => (done = true));
    while (!done) {
      for (const p of peers) {
        const st = p.member(ready.uuid)?.status;
        if (st !== 'alive') polled.push(String(st));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const u = await unblocked;

    expect(u.blockedMs).toBeGreaterThanOrEqual(BLOCK_MS);
    // The child's worker answered pings while its main thread was stuck.
    expect(u.pingsReceived).toBeGreaterThanOrEqual(5);
    expect(u.acksSent).toBeGreaterThanOrEqual(5);
    expect(bad).toEqual([]);
    expect(polled).toEqual([]);
    // And the peers got those acks: no ack timed out for anyone.
    const after = peers.map((p) => p.stats());
    const timeouts = after.reduce((n, s, i) => n + (s.ackTimeouts - before[i].ackTimeouts), 0);
    const acks = after.reduce((n, s, i) => n + (s.acksReceived - before[i].acksReceived), 0);
    expect(acks).toBeGreaterThan(0);
    expect(timeouts).toBe(0);

    // Control: freezing the whole process (worker thread included) does get it suspected,
    // so the assertions above can fail; once thawed it refutes and is alive again.
    const suspectedAt = bad.length;
    c.proc.kill('SIGSTOP');
    try {
      await waitFor(() => peers.some((p) => p.member(ready.uuid)?.status !== 'alive'), 20_000, {
        what: 'a frozen process is suspected',
        intervalMs: 50,
      });
    } finally {
      c.proc.kill('SIGCONT');
    }
    expect(bad.length).toBeGreaterThan(suspectedAt);
    await waitFor(() => peers.every((p) => p.member(ready.uuid)?.status === 'alive'), 20_000, {
      what: 'the thawed member refutes and is alive everywhere',
    });

    // It quits cleanly afterwards.
    c.send('quit');
    await c.json('quit', 10_000);
    const res = await c.exited;
    expect(res).toMatchObject({ code: 0, signal: null });
    await waitFor(() => peers.every((p) => [undefined, 'left'].includes(p.member(ready.uuid)?.status)), 10_000, {
      what: 'peers see the child leave',
    });
  });
});
