// The Swim API on real UDP sockets (127.0.0.1 only).
import { createSocket } from 'node:dgram';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS, MemberEvent, Swim, SwimError, type Member, type SwimOptions } from '../src/index';
import { heldInstances, injectFatalError, liveWorkers, stopNativeUnchecked } from '../src/testing';
import { Child, FIXTURES } from './helpers/child';
import { waitFor } from './helpers/wait';
import { expectSwimError } from './helpers/errors';

const open: Swim[] = [];

function make(options: Partial<SwimOptions> = {}): Swim {
  const s = new Swim({ uri: '127.0.0.1:0', heartbeatRate: 0.1, ackTimeout: 0.5, ...options });
  open.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** Two instances that know each other (a adds b; b learns a from a's ping). */
async function pair(options: Partial<SwimOptions> = {}): Promise<[Swim, Swim]> {
  const a = make(options);
  const b = make(options);
  a.addMember({ uri: b.uri, uuid: b.uuid });
  await waitFor(() => b.member(a.uuid)?.status === 'alive' && a.member(b.uuid)?.status === 'alive', 10_000, {
    what: 'a and b see each other',
  });
  return [a, b];
}

describe('construction', () => {
  it('binds, reports uri/uuid/self/size, defaults', () => {
    const before = BigInt(Date.now()) * 1000n;
    const s = make({ heartbeatRate: undefined, ackTimeout: undefined });
    const after = BigInt(Date.now()) * 1000n;
    expect(s.uri).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Number(s.uri.split(':')[1])).toBeGreaterThan(0);
    expect(s.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(s.size).toBe(1);
    const self = s.self;
    expect(self).toMatchObject({ uuid: s.uuid, uri: s.uri, status: 'alive', isSelf: true, payload: undefined });
    // Default generation: wall-clock microseconds, like Tarantool.
    expect(self.incarnation.generation >= before && self.incarnation.generation <= after).toBe(true);
    expect(s.config).toEqual({
      uri: s.uri,
      bind: s.uri,
      uuid: s.uuid,
      heartbeatRate: DEFAULTS.heartbeatRate,
      ackTimeout: DEFAULTS.ackTimeout,
      gcMode: 'on',
      lifeguard: true,
      codec: 'none',
    });
    expect(s.members()).toEqual([self]);
    expect(s.closed).toBe(false);
  });

  it('takes uuid, generation, payload and port-only uris', () => {
    const uuid = '2f1c4a6e-0000-4000-8000-00000000abcd';
    const s = make({ uuid: uuid.toUpperCase(), generation: 42n, payload: { role: 'db', n: 3 } });
    expect(s.uuid).toBe(uuid);
    expect(s.self.incarnation.generation).toBe(42n);
    expect(s.self.payload).toEqual({ role: 'db', n: 3 });
    expect(s.self.payloadRaw).toBeInstanceOf(Buffer);
    const t = make({ uri: 0, generation: 7 });
    expect(t.uri).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(t.self.incarnation.generation).toBe(7n);
    const u = make({ uri: `localhost:0` });
    expect(u.uri).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('port 0 picks distinct free ports', () => {
    const ports = new Set([make(), make(), make()].map((s) => s.uri));
    expect(ports.size).toBe(3);
  });

  it.each([
    [{}, /uri/],
    [{ uri: '127.0.0.1' + ':70000' }, /port/],
    [{ uri: 'example.com:3301' }, /IPv4/],
    [{ uri: '300.1.1.1:1' }, /IPv4/],
    [{ uri: '255.255.255.255:3301' }, /255/],
    [{ uri: -1 }, /port/],
    [{ uri: {} }, /expected/],
    [{ uri: 0, uuid: 'nope' }, /UUID/],
    [{ uri: 0, uuid: '00000000-0000-0000-0000-000000000000' }, /nil/],
    [{ uri: 0, heartbeatRate: 0 }, /heartbeatRate/],
    [{ uri: 0, heartbeatRate: Number.NaN }, /heartbeatRate/],
    [{ uri: 0, ackTimeout: -1 }, /ackTimeout/],
    [{ uri: 0, gcMode: 'maybe' }, /gcMode/],
    [{ uri: 0, generation: -1n }, /generation/],
    [{ uri: 0, generation: 1.5 }, /generation/],
    [{ uri: 0, generation: 2n ** 64n }, /generation/],
    [{ uri: 0, heartbeat_rate: 1 }, /unknown option 'heartbeat_rate'/],
    // A lower bound on the periods (1e-9 flooded peers), the upper bound kept.
    [{ uri: 0, heartbeatRate: 1e-9 }, /^heartbeatRate must be a number of seconds in \[0\.01, 1000000\], got 1e-9$/],
    [{ uri: 0, ackTimeout: 0.009 }, /^ackTimeout must be a number of seconds in \[0\.01, 1000000\], got 0\.009$/],
    [{ uri: 0, heartbeatRate: 1e6 + 1 }, /heartbeatRate .* got 1000001$/],
    // Received values are shown quoted as they are: '1' is a string.
    [{ uri: 0, heartbeatRate: '1' }, /got '1'$/],
    [{ uri: 0, gcMode: 'maybe' }, /got 'maybe'$/],
    [{ uri: 0, gcMode: 1 }, /got 1$/],
    [{ uri: 0, generation: '5' }, /got '5'$/],
    [{ uri: 0, uuid: 'nope' }, /got 'nope'$/],
    [{ uri: 'host:1' }, /'host:1' is not 'a\.b\.c\.d:port'/],
    [{ uri: '1.2.3.4:x' }, /bad port 'x'/],
    [{ uri: 1.5 }, /bad port 1\.5/],
    [{ uri: {} }, /got \{\}$/],
  ])('rejects %o with ERR_SWIM_CONFIG', (options, message) => {
    const e = expectSwimError(() => new Swim(options as SwimOptions), 'ERR_SWIM_CONFIG');
    expect(e.message).toMatch(message);
  });

  it('rejects an oversize payload with ERR_SWIM_PAYLOAD_TOO_LARGE', () => {
    expectSwimError(() => new Swim({ uri: 0, payload: 'x'.repeat(1300) }), 'ERR_SWIM_PAYLOAD_TOO_LARGE');
  });

  it('reports bind errors from the constructor: EADDRINUSE, an address not on this host', async () => {
    const a = make();
    const e = expectSwimError(() => new Swim({ uri: a.uri }), 'ERR_SWIM_BIND', { reason: 'EADDRINUSE' });
    expect(e.message).toContain(a.uri);
    // A port held by another (non-SWIM) socket.
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    try {
      expectSwimError(() => new Swim({ uri: `127.0.0.1:${sock.address().port}` }), 'ERR_SWIM_BIND', { reason: 'EADDRINUSE' });
    } finally {
      sock.close();
    }
    // TEST-NET-1 (RFC 5737) is never a local address.
    expectSwimError(() => new Swim({ uri: '192.0.2.1:0' }), 'ERR_SWIM_BIND', { reason: 'EADDRNOTAVAIL' });
    // Failed constructions leave no worker behind.
    expect(liveWorkers()).toBe(open.length);
  });
});

describe('membership', () => {
  it('addMember/removeMember/member/size, with member errors', async () => {
    const [a, b] = await pair();
    expect(a.size).toBe(2);
    expect(b.size).toBe(2);
    const mb = a.member(b.uuid) as Member;
    expect(mb).toMatchObject({ uuid: b.uuid, uri: b.uri, status: 'alive', isSelf: false });
    expect(typeof mb.incarnation.generation).toBe('bigint');
    expect(a.members().map((m) => m.uuid).sort()).toEqual([a.uuid, b.uuid].sort());
    expect(a.member('11111111-1111-4111-8111-111111111111')).toBeUndefined();

    expectSwimError(() => a.addMember({ uri: b.uri, uuid: b.uuid }), 'ERR_SWIM_MEMBER');
    expectSwimError(() => a.addMember({ uri: a.uri, uuid: a.uuid }), 'ERR_SWIM_MEMBER');
    // Our own address under another UUID (in any spelling of it) is refused too.
    const other = '22222222-2222-4222-8222-222222222222';
    const port = Number(a.uri.split(':')[1]);
    for (const uri of [a.uri, `localhost:${port}`, port, String(port)])
      expectSwimError(() => a.addMember({ uri, uuid: other }), 'ERR_SWIM_MEMBER', { message: /own address/ });
    expect(a.member(other)).toBeUndefined();
    expectSwimError(() => a.removeMember(a.uuid), 'ERR_SWIM_MEMBER');
    expectSwimError(() => a.removeMember('11111111-1111-4111-8111-111111111111'), 'ERR_SWIM_MEMBER');
    expectSwimError(() => a.addMember({ uri: '127.0.0.1:0', uuid: b.uuid }), 'ERR_SWIM_INVALID_ARG');
    expectSwimError(() => a.addMember({ uri: 'x', uuid: b.uuid }), 'ERR_SWIM_INVALID_ARG');
    expectSwimError(() => a.member('not-a-uuid'), 'ERR_SWIM_INVALID_ARG');

    a.removeMember(b.uuid);
    expect(a.member(b.uuid)).toBeUndefined();
    expect(a.size).toBe(1);
  });

  it('probeMember adds whoever answers, on both sides', async () => {
    const a = make();
    const b = make();
    a.probeMember(b.uri);
    await waitFor(() => a.member(b.uuid)?.status === 'alive' && b.member(a.uuid)?.status === 'alive', 10_000, {
      what: 'probe answered',
    });
    expectSwimError(() => a.probeMember('127.0.0.1:0'), 'ERR_SWIM_INVALID_ARG');
  });

  it('gossip spreads members: a chain of 4 becomes a full mesh', async () => {
    const ms = [make(), make(), make(), make()];
    for (let i = 1; i < ms.length; i++) ms[i].addMember({ uri: ms[i - 1].uri, uuid: ms[i - 1].uuid });
    await waitFor(() => ms.every((m) => m.size === 4 && m.members().every((x) => x.status === 'alive')), 15_000, {
      what: 'fullmesh',
    });
  });

  it('broadcast validates its port and sends only to interfaces that have a broadcast address', () => {
    const a = make();
    expectSwimError(() => a.broadcast(70000), 'ERR_SWIM_INVALID_ARG');
    expectSwimError(() => a.broadcast(0), 'ERR_SWIM_INVALID_ARG');
    // Not called with a real port here: tests stay on 127.0.0.1 (see README: broadcast).
  });
});

describe('payload', () => {
  it('is set on one instance and read back equal on the other', async () => {
    const [a, b] = await pair();
    a.setPayload({ role: 'cache', shards: [1, 2, 3], big: 2 ** 40 });
    await waitFor(() => (b.member(a.uuid)?.payload as { role?: string } | undefined)?.role === 'cache', 10_000, {
      what: 'payload seen by b',
    });
    const seen = b.member(a.uuid) as Member;
    expect(seen.payload).toEqual({ role: 'cache', shards: [1, 2, 3], big: 2 ** 40 });
    expect(seen.payloadRaw?.equals(a.self.payloadRaw as Buffer)).toBe(true);
    expect(seen.incarnation.version).toBe(a.self.incarnation.version);

    // Bytes that are not MessagePack arrive as a Buffer.
    a.setPayloadRaw(Buffer.from([0xc1, 0x01]));
    await waitFor(() => Buffer.isBuffer(b.member(a.uuid)?.payload), 10_000, { what: 'raw payload' });
    expect(((b.member(a.uuid) as Member).payload as Buffer).equals(Buffer.from([0xc1, 0x01]))).toBe(true);
    a.setPayloadRaw(new Uint8Array([0x93, 1, 2, 3]));
    await waitFor(() => Array.isArray(b.member(a.uuid)?.payload), 10_000, { what: 'array payload' });
    expect((b.member(a.uuid) as Member).payload).toEqual([1, 2, 3]);

    // null clears it.
    a.setPayload(null);
    expect(a.self.payload).toBeUndefined();
    expect(a.self.payloadRaw).toBeUndefined();
    await waitFor(() => b.member(a.uuid)?.payloadRaw === undefined, 10_000, { what: 'payload cleared' });
  });

  it('rejects payloads over 1200 bytes', () => {
    const a = make();
    expectSwimError(() => a.setPayload('y'.repeat(1300)), 'ERR_SWIM_PAYLOAD_TOO_LARGE');
    expectSwimError(() => a.setPayloadRaw(Buffer.alloc(1201)), 'ERR_SWIM_PAYLOAD_TOO_LARGE');
    a.setPayloadRaw(Buffer.alloc(1200, 7));
    expect(a.self.payloadRaw?.length).toBe(1200);
    expectSwimError(() => a.setPayloadRaw('str' as unknown as Uint8Array), 'ERR_SWIM_INVALID_ARG');
  });
});

describe('configure', () => {
  it('changes rates and gc mode', () => {
    const a = make();
    a.configure({ heartbeatRate: 0.25, ackTimeout: 2, gcMode: 'off', lifeguard: false });
    expect(a.config).toMatchObject({ heartbeatRate: 0.25, ackTimeout: 2, gcMode: 'off', lifeguard: false });
    expectSwimError(() => a.configure({ lifeguard: 1 } as never), 'ERR_SWIM_CONFIG', { message: /lifeguard/ });
    expectSwimError(() => a.configure({ heartbeatRate: 0 }), 'ERR_SWIM_CONFIG');
    expectSwimError(() => a.configure({ heartbeatRate: 1e-9 }), 'ERR_SWIM_CONFIG', { message: /\[0\.01, 1000000\], got 1e-9/ });
    expectSwimError(() => a.configure({ ackTimeout: '1' } as never), 'ERR_SWIM_CONFIG', { message: /got '1'$/ });
    // The bound itself is accepted.
    a.configure({ heartbeatRate: 0.01, ackTimeout: 0.01 });
    expect(a.config).toMatchObject({ heartbeatRate: 0.01, ackTimeout: 0.01 });
    expectSwimError(() => a.configure({ generation: 5n } as never), 'ERR_SWIM_CONFIG');
    expectSwimError(() => a.configure({ port: 5 } as never), 'ERR_SWIM_CONFIG');
  });

  it('moves to a new uri (bound first, peers follow) and reports bind errors', async () => {
    const [a, b] = await pair();
    const oldUri = a.uri;
    expectSwimError(() => a.configure({ uri: b.uri }), 'ERR_SWIM_BIND', { reason: 'EADDRINUSE' });
    expect(a.uri).toBe(oldUri);
    a.configure({ uri: '127.0.0.1:0' });
    expect(a.uri).not.toBe(oldUri);
    expect(a.self.uri).toBe(a.uri);
    // b learns the new address from a's packets, and a keeps working on it.
    await waitFor(() => b.member(a.uuid)?.uri === a.uri, 10_000, { what: 'b sees the new uri' });
    // The old port is free again once the worker switched sockets.
    await waitFor(
      () => {
        try {
          make({ uri: oldUri });
          return true;
        } catch {
          return false;
        }
      },
      10_000,
      { what: 'old port released' },
    );
  });

  it('changes the uuid', () => {
    const a = make();
    const uuid = '3c3c3c3c-0000-4000-8000-000000000001';
    a.configure({ uuid });
    expect(a.uuid).toBe(uuid);
    expect(a.self.uuid).toBe(uuid);
  });
});

describe('events', () => {
  it("emits 'member' events with masks and flags", async () => {
    const a = make();
    const events: MemberEvent[] = [];
    a.on('member', (ev) => events.push(ev));
    const b = make();
    a.addMember({ uri: b.uri, uuid: b.uuid });
    await waitFor(() => events.some((e) => e.member.uuid === b.uuid && e.isNew), 10_000, { what: 'new event' });
    const ev = events.find((e) => e.member.uuid === b.uuid && e.isNew) as MemberEvent;
    expect(ev).toBeInstanceOf(MemberEvent);
    expect(ev.mask & 1).toBe(1);
    expect(ev.isDrop).toBe(false);
    b.setPayload({ hello: 'world' });
    await waitFor(() => events.some((e) => e.member.uuid === b.uuid && e.isNewPayload), 10_000, {
      what: 'payload event',
    });
    const pe = events.find((e) => e.member.uuid === b.uuid && e.isNewPayload) as MemberEvent;
    expect(pe.isUpdate).toBe(true);
    expect(pe.isNewVersion && pe.isNewIncarnation).toBe(true);
    expect(pe.member.payload).toEqual({ hello: 'world' });
    a.removeMember(b.uuid);
    await waitFor(() => events.some((e) => e.member.uuid === b.uuid && e.isDrop), 10_000, { what: 'drop event' });
  });

  it('events() iterates until aborted (AbortError) and ends on close', async () => {
    const a = make();
    const b = make();
    const ac = new AbortController();
    const got: MemberEvent[] = [];
    const consumer = (async () => {
      for await (const ev of a.events({ signal: ac.signal })) {
        got.push(ev);
        if (ev.member.uuid === b.uuid && ev.isNew) ac.abort();
      }
    })();
    a.addMember({ uri: b.uri, uuid: b.uuid });
    await expect(consumer).rejects.toMatchObject({ name: 'AbortError' });
    expect(got.some((e) => e.member.uuid === b.uuid)).toBe(true);

    // Already aborted: rejects at once.
    const it2 = a.events({ signal: AbortSignal.abort() });
    await expect(it2.next()).rejects.toMatchObject({ name: 'AbortError' });

    // close() ends an iteration normally.
    const iter = a.events();
    const pending = iter.next();
    await a.close();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    await expect(iter.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('events() checks its argument before registering anything: ERR_SWIM_INVALID_ARG; close() afterwards is fine', async () => {
    const a = make();
    const counts = () => [a.listenerCount('member'), a.listenerCount('close')];
    const before = counts();
    const ac = new AbortController();
    const e = expectSwimError(() => a.events({ signal: ac as unknown as AbortSignal }), 'ERR_SWIM_INVALID_ARG');
    expect(e.message).toMatch(/signal must be an AbortSignal \(pass controller\.signal, not the controller\), got AbortController/);
    for (const bad of ['x', 1, null, true, () => {}]) expectSwimError(() => a.events(bad as never), 'ERR_SWIM_INVALID_ARG');
    expect(expectSwimError(() => a.events('x' as never), 'ERR_SWIM_INVALID_ARG').message).toContain("got 'x'");
    for (const signal of ['s', {}, null, { aborted: false }]) expectSwimError(() => a.events({ signal: signal as never }), 'ERR_SWIM_INVALID_ARG');
    expect(counts()).toEqual(before);
    // Accepted: nothing, {}, an undefined signal.
    for (const ok of [undefined, {}, { signal: undefined }]) await a.events(ok).return!();
    expect(counts()).toEqual(before);
    const closed = new Promise<void>((r) => a.once('close', r));
    await a.close();
    await closed;
  });
});

describe('quit and close', () => {
  it('quit: peers see the member leave; afterwards every method throws ERR_SWIM_CLOSED', async () => {
    const [a, b] = await pair();
    const aUuid = a.uuid;
    const seen: string[] = [];
    b.on('member', (ev) => {
      if (ev.member.uuid === aUuid) seen.push(ev.member.status);
    });
    let closeEvents = 0;
    a.on('close', () => closeEvents++);
    const q = a.quit();
    expect(a.closed).toBe(true);
    await q;
    expect(closeEvents).toBe(1);
    await waitFor(() => seen.includes('left'), 10_000, { what: 'b sees a left' });
    expect(['left', undefined]).toContain(b.member(aUuid)?.status);
    // Identity stays readable after quit; everything else throws.
    expect(a.uuid).toBe(aUuid);
    expectSwimError(() => a.members(), 'ERR_SWIM_CLOSED');
    await expect(a.quit()).resolves.toBeUndefined(); // the same quit, already done
    await a.close();
    expect(closeEvents).toBe(1);
  });

  it('close: every method throws ERR_SWIM_CLOSED, close is idempotent, no event after it', async () => {
    const [a, b] = await pair();
    let events = 0;
    a.on('member', () => events++);
    const p1 = a.close();
    const p2 = a.close();
    expect(a.closed).toBe(true);
    await Promise.all([p1, p2]);
    const countAtClose = events;
    expect(a.uri).toMatch(/^127\.0\.0\.1:/);
    const calls: [string, () => unknown][] = [
      ['self', () => a.self],
      ['size', () => a.size],
      ['config', () => a.config],
      ['members', () => a.members()],
      ['member', () => a.member(b.uuid)],
      ['addMember', () => a.addMember({ uri: b.uri, uuid: b.uuid })],
      ['removeMember', () => a.removeMember(b.uuid)],
      ['probeMember', () => a.probeMember(b.uri)],
      ['broadcast', () => a.broadcast()],
      ['setPayload', () => a.setPayload(1)],
      ['setPayloadRaw', () => a.setPayloadRaw(null)],
      ['configure', () => a.configure({ heartbeatRate: 1 })],
      ['events', () => a.events()],
    ];
    for (const [name, call] of calls) {
      const e = expectSwimError(call, 'ERR_SWIM_CLOSED');
      expect(e.message).toContain(name);
    }
    // stats() stays readable: the final counters.
    expect(a.stats().packetsSent).toBeGreaterThanOrEqual(0);
    expect(a.stats()).toEqual(a.stats());
    await expect(a.quit()).rejects.toMatchObject({ code: 'ERR_SWIM_CLOSED' });
    // ref/unref after close are harmless no-ops.
    a.ref().unref();
    b.setPayload('after');
    await waitFor(() => b.self.payload === 'after', 1000);
    expect(events).toBe(countAtClose);
  });

  it("a ref'd running instance is held (like an active handle) until unref(), close(), quit() or its end", async () => {
    const base = heldInstances();
    const a = make();
    const b = make();
    expect(heldInstances()).toBe(base + 2);
    a.unref();
    expect(heldInstances()).toBe(base + 1);
    a.unref().ref().ref();
    expect(heldInstances()).toBe(base + 2);
    const closed = new Promise<void>((r) => b.once('close', r));
    b.on('error', () => {});
    injectFatalError(b);
    await closed;
    expect(heldInstances()).toBe(base + 1);
    b.ref();
    expect(heldInstances()).toBe(base + 1);
    const quitting = a.quit();
    expect(heldInstances()).toBe(base);
    a.ref();
    expect(heldInstances()).toBe(base);
    await quitting;
    const c = make();
    await c.close();
    c.ref();
    expect(heldInstances()).toBe(base);
  });

  it("a worker that fails on its own emits 'error' then 'close' and is closed", async () => {
    const a = make();
    const seen: string[] = [];
    const errors: SwimError[] = [];
    a.on('error', (e) => {
      seen.push('error');
      errors.push(e as SwimError);
    });
    const closed = new Promise<void>((resolve) =>
      a.on('close', () => {
        seen.push('close');
        resolve();
      }),
    );
    injectFatalError(a, 'socket exploded');
    await closed;
    expect(seen).toEqual(['error', 'close']);
    expect(errors[0]).toMatchObject({ code: 'ERR_SWIM_NATIVE', reason: 'socket exploded' });
    expect(a.closed).toBe(true);
    expectSwimError(() => a.members(), 'ERR_SWIM_CLOSED');
    await a.close(); // resolves: the worker is already gone
    // The native stop is idempotent even without the state word, after the end.
    stopNativeUnchecked(a);
    stopNativeUnchecked(a);
  });

  it('closing from inside an event handler works', async () => {
    const a = make();
    const b = make();
    const closed = new Promise<void>((resolve) => {
      a.on('member', (ev) => {
        if (ev.member.uuid === b.uuid) void a.close().then(resolve);
      });
    });
    a.addMember({ uri: b.uri, uuid: b.uuid });
    await closed;
    expect(a.closed).toBe(true);
  });

  it('await using closes at scope end', async () => {
    let uri = '';
    {
      await using s = new Swim({ uri: '127.0.0.1:0' });
      uri = s.uri;
      expect(s.closed).toBe(false);
    }
    // The port is free again: the instance was closed and its thread joined.
    const again = make({ uri });
    expect(again.uri).toBe(uri);
  });

  it('stats count real traffic', async () => {
    const [a, b] = await pair();
    await waitFor(() => a.stats().acksReceived > 2 && b.stats().acksReceived > 2, 10_000, { what: 'acks' });
    const s = a.stats();
    expect(s.packetsSent).toBeGreaterThan(0);
    expect(s.packetsReceived).toBeGreaterThan(0);
    expect(s.bytesSent).toBeGreaterThan(s.packetsSent * 20);
    expect(s.pingsSent).toBeGreaterThan(0);
    expect(s.packetsDropped).toBe(0);
    expect(s.drops).toMatchObject({ truncated: 0, nil_uuid: 0 });
    // A garbage datagram is dropped and counted, not thrown anywhere.
    const sock = createSocket('udp4');
    const port = Number(a.uri.split(':')[1]);
    await new Promise<void>((r) => sock.send(Buffer.from([0x81, 0x00]), port, '127.0.0.1', () => r()));
    sock.close();
    await waitFor(() => a.stats().packetsDropped === 1, 10_000, { what: 'drop counted' });
  });
});

describe('process lifetime', () => {
  it('an open instance keeps the process alive; unref() lets it exit', async () => {
    const refd = new Child([path.join(FIXTURES, 'keepalive.cjs'), 'ref']);
    const unrefd = new Child([path.join(FIXTURES, 'keepalive.cjs'), 'unref']);
    const [r, u] = await Promise.all([refd.exited, unrefd.exited]);
    expect(r).toMatchObject({ code: 0, signal: null });
    expect(r.stdout).toContain('"still-alive"');
    expect(r.stdout).toContain('"closed"');
    expect(u).toMatchObject({ code: 0, signal: null });
    expect(u.stdout).toContain('{"type":"beforeExit","closed":false}');
    expect(u.stdout).toContain('{"type":"exit","closed":true}');
    expect(u.stderr).toBe('');
  });

  it('close() resolves even if the Swim is collected before the worker reports its exit', async () => {
    const c = new Child([path.join(FIXTURES, 'close-unreferenced.cjs')], { nodeArgs: ['--expose-gc'] });
    const res = await c.exited;
    expect(res).toMatchObject({ code: 0, signal: null });
    expect(res.stdout).toContain('{"type":"collected","collected":true}');
    expect(res.stdout).toContain('{"type":"resolved","live":0}');
  });

  it('a dropped ref\'d instance with a listener is held like an active handle: runs across forced GCs, keeps the process alive', async () => {
    const c = new Child([path.join(FIXTURES, 'held.cjs'), 'ref'], { nodeArgs: ['--expose-gc'] });
    const res = await c.exited;
    expect(res, res.stderr).toMatchObject({ code: 0, signal: null });
    const lines = res.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.type === 'after-gc')).toMatchObject({ collected: false, live: 2, held: 1 });
    // The unref'd timer fired: the dropped instance alone kept the loop alive; it still
    // answered the peer's pings and delivered its events.
    const done = lines.find((l) => l.type === 'done');
    expect(done).toMatchObject({ collected: false, live: 2, held: 1, peerSees: 'alive', warnings: 0 });
    expect(done!.events as number).toBeGreaterThan(0);
    expect(res.stderr).toBe('');
  });

  it('a dropped unref\'d instance with a listener is collected and stopped, with one SWIM_NATIVE_UNCLOSED warning', async () => {
    const c = new Child([path.join(FIXTURES, 'held.cjs'), 'unref'], { nodeArgs: ['--expose-gc', '--no-warnings'] });
    const res = await c.exited;
    expect(res, res.stderr).toMatchObject({ code: 0, signal: null });
    const done = res.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.type === 'done');
    expect(done).toMatchObject({ collected: true, live: 1, held: 0, registry: { stops: 1 } });
    expect(done!.warnings as string[]).toHaveLength(1);
    expect((done!.warnings as string[])[0]).toMatch(/garbage-collected without close\(\)/);
  });

  it('an unref\'d instance collected without close() is stopped, with a SWIM_NATIVE_UNCLOSED warning', async () => {
    const c = new Child([path.join(FIXTURES, 'gc-unclosed.cjs')], { nodeArgs: ['--expose-gc'] });
    const res = await c.exited;
    expect(res).toMatchObject({ code: 0, signal: null });
    expect(res.stdout).toContain('{"type":"done","warned":"SWIM_NATIVE_UNCLOSED","live":0}');
  });
});
