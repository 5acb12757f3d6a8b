// A 20-member cluster on loopback with the default settings: fullmesh from a chain
// bootstrap, a member killed without notice is seen dead by all within the documented
// bound (10 s), a member that quits is seen leaving by all.
import { afterAll, describe, expect, it } from 'vitest';
import { Swim, type MemberEvent } from '../src/index';
import { waitFor } from './helpers/wait';

const N = 20;
/**
 * README "Defaults": with them a killed member is dead for all 19 others within this. The
 * sanitizer run (scripts/test-asan.sh) gives the same scenario more time.
 */
const DEAD_BOUND_MS = Number(process.env.SWIM_DEAD_BOUND_MS || 10_000);

const members: Swim[] = [];

afterAll(async () => {
  await Promise.all(members.map((m) => m.close()));
});

describe(`a ${N}-member loopback cluster with default settings`, () => {
  it('converges to a full mesh from a chain bootstrap', async () => {
    for (let i = 0; i < N; i++) members.push(new Swim({ uri: '127.0.0.1:0' }));
    for (let i = 1; i < N; i++) members[i].addMember({ uri: members[i - 1].uri, uuid: members[i - 1].uuid });
    await waitFor(() => members.every((m) => m.size === N && m.members().every((x) => x.status === 'alive')), 30_000, {
      what: 'fullmesh',
    });
  });

  it(`a member killed without quitting is dead for every other member within ${DEAD_BOUND_MS / 1000} s`, async () => {
    const victim = members[N - 1];
    const victimUuid = victim.uuid;
    const observers = members.slice(0, N - 1);
    // When each observer first saw the victim dead. With gc on, a dead member is later
    // dropped: a drop of the victim counts too (its last status is dead).
    const deadAt = new Map<number, number>();
    const statuses = new Set<string>();
    observers.forEach((m, i) =>
      m.on('member', (ev: MemberEvent) => {
        if (ev.member.uuid !== victimUuid) return;
        statuses.add(ev.member.status);
        if ((ev.member.status === 'dead' || ev.isDrop) && !deadAt.has(i)) deadAt.set(i, Date.now());
      }),
    );
    const killedAt = Date.now();
    await victim.close();
    await waitFor(
      () => {
        // Polling complements the events: a member read as dead counts as well.
        observers.forEach((m, i) => {
          if (!deadAt.has(i) && m.member(victimUuid)?.status === 'dead') deadAt.set(i, Date.now());
        });
        return deadAt.size === observers.length;
      },
      DEAD_BOUND_MS + 5_000,
      { what: `all ${observers.length} observers see the killed member dead`, intervalMs: 50 },
    );
    const worst = Math.max(...deadAt.values()) - killedAt;
    console.log(`killed member dead everywhere after ${(worst / 1000).toFixed(2)} s (first: ${((Math.min(...deadAt.values()) - killedAt) / 1000).toFixed(2)} s)`);
    expect(worst).toBeLessThanOrEqual(DEAD_BOUND_MS);
    // It went through suspicion somewhere first (2 missed acks), never straight to left.
    expect(statuses.has('suspected')).toBe(true);
    expect(statuses.has('left')).toBe(false);
    // Nobody else was suspected meanwhile.
    for (const m of observers)
      for (const x of m.members()) if (x.uuid !== victimUuid) expect(x.status, `${x.uri} seen by ${m.uri}`).toBe('alive');
  });

  it('a member that quits is seen leaving by every other member', async () => {
    const leaver = members[N - 2];
    const leaverUuid = leaver.uuid;
    const observers = members.slice(0, N - 2);
    const leftSeen = new Set<number>();
    observers.forEach((m, i) =>
      m.on('member', (ev: MemberEvent) => {
        if (ev.member.uuid === leaverUuid && ev.member.status === 'left') leftSeen.add(i);
      }),
    );
    await leaver.quit();
    await waitFor(() => leftSeen.size === observers.length, 10_000, { what: 'everyone sees the member leave' });
  });
});
