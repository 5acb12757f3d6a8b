// Member.toJSON(), the coalesced 'change' event, and the diagnostics_channel channels
// (swim-native:member, :drop, :cipher, :conflict).
import dgram from 'node:dgram';
import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { Swim, type MembershipChange } from '../src/index';
import { summarizeEvents } from '../src/change';
import { MemberEvent, EventMask, type Member } from '../src/member';
import { membersForFile } from './helpers/members';
import { waitFor } from './helpers/wait';

const { member, cleanup } = membersForFile();

async function sendTo(uri: string, bytes: Buffer): Promise<void> {
  const [host, port] = uri.split(':');
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => sock.send(bytes, Number(port), host, (err) => (err ? reject(err) : resolve())));
  sock.close();
}

describe('Member.toJSON', () => {
  it('writes bigints as strings and payload bytes as hex; members still compare as plain data', () => {
    const s = member({ payload: { role: 'api', big: 2n ** 63n, bytes: Buffer.from([1, 2]) } });
    const self = s.self;
    const j = JSON.parse(JSON.stringify(self)) as Record<string, unknown>;
    expect(j).toEqual({
      uuid: s.uuid,
      uri: s.uri,
      status: 'alive',
      incarnation: { generation: String(self.incarnation.generation), version: String(self.incarnation.version) },
      payload: { role: 'api', big: '9223372036854775808', bytes: '0102' },
      payloadHex: (self.payloadRaw as Buffer).toString('hex'),
      isSelf: true,
    });
    expect(Object.keys(self)).toEqual(['uuid', 'uri', 'status', 'incarnation', 'payload', 'payloadRaw', 'isSelf']);
    expect({ ...self }).toEqual(s.member(s.uuid));
    s.setPayloadRaw(Buffer.from([0xc1]));
    expect(s.self.toJSON()).toMatchObject({ payload: null, payloadHex: 'c1' });
    s.setPayload(null);
    expect(s.self.toJSON()).toMatchObject({ payload: null, payloadHex: null });
  });
});

describe("the 'change' event", () => {
  it('summarises each batch: joined, left, failed, ...', async () => {
    const a = member();
    const changes: MembershipChange[] = [];
    a.on('change', (c) => changes.push(c));
    const b = member({ seeds: [a.uri] });
    const c = member({ seeds: [a.uri] });
    const all = (k: keyof Omit<MembershipChange, 'events'>): string[] => changes.flatMap((x) => x[k].map((m) => m.uuid));
    await waitFor(() => all('joined').includes(b.uuid) && all('joined').includes(c.uuid), 10_000, { what: 'b and c joined' });
    for (const ch of changes) expect(ch.events.length).toBeGreaterThan(0);
    await b.quit();
    await waitFor(() => all('left').includes(b.uuid), 10_000, { what: 'b left' });
    await c.close();
    await waitFor(() => all('failed').includes(c.uuid), 15_000, { what: 'c failed' });
    expect(all('suspected')).toContain(c.uuid);
  });

  it('merges the events of one member within a batch', () => {
    const m = (status: Member['status']): Member => ({ uuid: 'u1', uri: '127.0.0.1:1', status, incarnation: { generation: 1n, version: 0n }, payload: undefined, payloadRaw: undefined, isSelf: false, toJSON: () => ({}) as never });
    const c = summarizeEvents([new MemberEvent(m('alive'), EventMask.NEW), new MemberEvent(m('suspected'), EventMask.NEW_STATUS)]);
    expect(c.joined.map((x) => x.status)).toEqual(['suspected']);
    const d = summarizeEvents([new MemberEvent(m('dead'), EventMask.NEW_STATUS), new MemberEvent(m('dead'), EventMask.DROP)]);
    expect(d.dropped).toHaveLength(1);
    expect(d.failed).toHaveLength(0);
    const p = summarizeEvents([new MemberEvent(m('alive'), EventMask.NEW_PAYLOAD)]);
    expect(p.updated).toHaveLength(1);
  });
});

describe('diagnostics channels', () => {
  it('publishes member events, drops (from stats deltas) and cipher failures', async () => {
    const got: Record<string, Array<Record<string, unknown>>> = { member: [], drop: [], cipher: [] };
    const subs = Object.keys(got).map((k) => {
      const fn = (msg: unknown): void => void got[k].push(msg as Record<string, unknown>);
      diagnosticsChannel.subscribe(`swim-native:${k}`, fn);
      return () => diagnosticsChannel.unsubscribe(`swim-native:${k}`, fn);
    });
    cleanup(() => subs.forEach((u) => u()));
    const a = member();
    const b = member({ seeds: [a.uri] });
    await waitFor(() => got.member.some((m) => m.swim === a && (m.event as MemberEvent).member.uuid === b.uuid), 10_000, {
      what: 'a member message',
    });
    // Garbage to a: counted as a drop by reason.
    await waitFor(async () => {
      await sendTo(a.uri, Buffer.from([0x81, 0x00]));
      return got.drop.some((m) => m.swim === a && typeof m.reason === 'string' && (m.count as number) > 0);
    }, 10_000, { what: 'a drop message', intervalMs: 300 });
    // Garbage to an encrypted member: a cipher failure by reason.
    const e = member({ codec: { algo: 'aes-gcm', keys: [Buffer.alloc(32, 7)] } });
    await waitFor(async () => {
      await sendTo(e.uri, Buffer.alloc(64, 1));
      return got.cipher.some((m) => m.swim === e && typeof m.reason === 'string');
    }, 10_000, { what: 'a cipher message', intervalMs: 300 });
  });

  it('reports drops to a subscriber that comes after the instance (no timer runs before)', async () => {
    const a = member();
    const got: Array<Record<string, unknown>> = [];
    const fn = (msg: unknown): void => void got.push(msg as Record<string, unknown>);
    // Through the channel object this time; the other test goes through subscribe(name).
    diagnosticsChannel.channel('swim-native:drop').subscribe(fn);
    cleanup(() => diagnosticsChannel.unsubscribe('swim-native:drop', fn));
    await waitFor(async () => {
      await sendTo(a.uri, Buffer.from([0x81, 0x00]));
      return got.some((m) => m.swim === a && (m.count as number) > 0);
    }, 10_000, { what: 'a drop message', intervalMs: 300 });
  });
});
