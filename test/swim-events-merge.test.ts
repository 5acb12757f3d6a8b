// Member events merge in the engine while the JavaScript thread is busy: changes of a
// member whose event is still undelivered join that event (latest state, union of bits), a
// member added and dropped before delivery makes no event, and one delivered, dropped and
// added again makes a drop event then a new one. The worker keeps no copies, so what is
// pending does not grow with the number of changes.
//
// Each case changes things inside one synchronous stretch (the event loop cannot deliver
// anything), waiting for the native workers by spinning on native reads, then lets the
// loop run and looks at what arrived.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EventMask, Swim, type MemberEvent } from '../src/index';
import { waitFor } from './helpers/wait';

const open: Swim[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function make(): Swim {
  const s = new Swim({ uri: '127.0.0.1:0', heartbeatRate: 0.1, ackTimeout: 0.5 });
  open.push(s);
  return s;
}

// Busy-waits without giving the event loop a turn: no event can be delivered meanwhile.
function spinUntil(cond: () => boolean, ms: number, what: string): void {
  const deadline = Date.now() + ms;
  while (!cond()) if (Date.now() > deadline) throw new Error(`spinUntil: ${what} not within ${ms} ms`);
}

function record(s: Swim): MemberEvent[] {
  const seen: MemberEvent[] = [];
  s.on('member', (ev) => seen.push(ev));
  return seen;
}

const about = (seen: MemberEvent[], uuid: string): MemberEvent[] => seen.filter((e) => e.member.uuid === uuid);
const payloadK = (s: Swim, uuid: string): unknown => (s.member(uuid)?.payload as { k?: number } | undefined)?.k;

describe('member events merge while the event loop is blocked', () => {
  it("a peer's many payload changes arrive as one event: latest payload, union of bits; the count does not grow with the changes", async () => {
    const a = make();
    const few = make();
    const many = make();
    const seen = record(a);
    const changes = { few: 2, many: 25 };

    // --- blocked from here ---
    a.addMember({ uri: few.uri, uuid: few.uuid });
    a.addMember({ uri: many.uri, uuid: many.uuid });
    for (let k = 1; k <= changes.many; k++) {
      // Each change reaches a's worker in a datagram of its own before the next is made.
      if (k <= changes.few) few.setPayload({ k });
      many.setPayload({ k });
      spinUntil(
        () => payloadK(a, many.uuid) === k && payloadK(a, few.uuid) === Math.min(k, changes.few),
        10_000,
        `payload ${k} seen by a`,
      );
    }
    const selfChanges = 1000;
    for (let k = 1; k <= selfChanges; k++) a.setPayload({ k });
    expect(seen).toEqual([]);
    // One pending entry per member, however many changes: few, many and self.
    expect(a.stats().pendingEvents).toBe(3);
    // --- unblocked ---

    await waitFor(() => about(seen, many.uuid).length > 0 && about(seen, few.uuid).length > 0, 10_000, {
      what: 'the events about both peers',
    });
    // One batch (delivered in one callback) holds everything that was pending.
    for (const [peer, n] of [
      [few, changes.few],
      [many, changes.many],
    ] as const) {
      const evs = about(seen, peer.uuid);
      expect(evs, `${n} changes`).toHaveLength(1);
      const [ev] = evs;
      expect(ev.member.payload).toEqual({ k: n });
      expect(ev.isNew).toBe(true);
      expect(ev.isNewPayload).toBe(true);
      expect(ev.isNewVersion).toBe(true);
      expect(ev.isDrop).toBe(false);
      expect(ev.mask & (EventMask.NEW | EventMask.NEW_PAYLOAD | EventMask.NEW_VERSION)).toBe(
        EventMask.NEW | EventMask.NEW_PAYLOAD | EventMask.NEW_VERSION,
      );
    }
    const self = about(seen, a.uuid);
    expect(self, `${selfChanges} changes of self`).toHaveLength(1);
    expect(self[0].member.payload).toEqual({ k: selfChanges });
    expect(self[0].isNewPayload && self[0].isNewVersion).toBe(true);
    expect(seen).toHaveLength(3);
    expect(a.stats().pendingEvents).toBe(0);
  });

  it('added and dropped before delivery: no event; delivered, dropped and added again: a drop event, then a new one', async () => {
    const a = make();
    const b = make();
    const seen = record(a);
    a.addMember({ uri: b.uri, uuid: b.uuid });
    await waitFor(() => about(seen, b.uuid).some((e) => e.isNew), 10_000, { what: "b's new event delivered" });
    await waitFor(() => b.member(a.uuid)?.status === 'alive' && a.member(b.uuid)?.status === 'alive', 10_000, {
      what: 'a and b alive for each other',
    });
    const ghost = randomUUID();
    const sentinel = randomUUID();
    seen.length = 0;

    // --- blocked from here ---
    a.addMember({ uri: '127.0.0.1:9', uuid: ghost });
    // Let a's worker take a few turns after the add: a probe answered needs at least two.
    const acks = a.stats().acksReceived;
    a.probeMember(b.uri);
    spinUntil(() => a.stats().acksReceived > acks, 10_000, "b's ack to a's probe");
    a.removeMember(ghost);

    a.removeMember(b.uuid);
    try {
      a.addMember({ uri: b.uri, uuid: b.uuid });
    } catch (err) {
      // b's own ping may have brought it back already: the same news for the test.
      if ((err as { code?: string }).code !== 'ERR_SWIM_MEMBER') throw err;
    }
    spinUntil(() => a.member(b.uuid) !== undefined, 10_000, 'b back in the table');
    // Queued after everything above: once it arrives, so has all the rest.
    a.addMember({ uri: '127.0.0.1:9', uuid: sentinel });
    expect(seen).toEqual([]);
    // --- unblocked ---

    await waitFor(() => about(seen, sentinel).length > 0, 10_000, { what: 'the sentinel event' });
    expect(about(seen, ghost), 'the member added and dropped unseen').toEqual([]);
    const evs = about(seen, b.uuid);
    expect(
      evs.map((e) => ({ drop: e.isDrop, isNew: e.isNew })),
      'b: dropped, then added again',
    ).toEqual([
      { drop: true, isNew: false },
      { drop: false, isNew: true },
    ]);
    expect(evs[0].member.uri).toBe(b.uri);
    expect(seen.indexOf(evs[1])).toBeLessThan(seen.indexOf(about(seen, sentinel)[0]));
  });
});
