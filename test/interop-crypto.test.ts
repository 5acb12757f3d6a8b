// Encrypted datagrams against a real tarantool 2.6: our PacketCipher + codec on one side,
// `swim:set_codec()` on the other, raw UDP on 127.0.0.1 in between.
import * as dgram from 'node:dgram';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PacketCipher, decodePacket, encodePacket, type Packet } from '../src/index';
import { requireTarantool, startTarantool, stopAllTarantools, type TarantoolInstance } from './helpers/tarantool';
import { waitFor } from './helpers/wait';
import { ALGOS, MODES } from './helpers/ciphers';

const tt = requireTarantool();

type Algo = (typeof ALGOS)[number][0];
type Mode = (typeof MODES)[number];

interface Received {
  data: Buffer;
  port: number;
}

/** A bare UDP endpoint on 127.0.0.1 that records every datagram it receives. */
async function udpPeer(): Promise<{ sock: dgram.Socket; port: number; inbox: Received[]; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  const inbox: Received[] = [];
  sock.on('message', (data, rinfo) => inbox.push({ data, port: rinfo.port }));
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => resolve());
  });
  const port = sock.address().port;
  return { sock, port, inbox, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

function send(sock: dgram.Socket, data: Buffer, port: number): Promise<void> {
  return new Promise((resolve, reject) => sock.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

function ping(uuid: string, port: number, extra: Partial<Packet> = {}): Buffer {
  return encodePacket({
    meta: { version: 0x020600, uri: `127.0.0.1:${port}` },
    source: uuid,
    failureDetection: { type: 'ping', incarnation: { generation: 0, version: 0 } },
    ...extra,
  });
}

/** Opens and decodes, or returns null: what our worker would do with the datagram. */
function openAndDecode(cipher: PacketCipher, data: Buffer): Packet | null {
  const plain = cipher.tryOpen(data);
  if (typeof plain === 'string') return null;
  try {
    return decodePacket(plain);
  } catch {
    return null;
  }
}

/** Lua: a fresh swim instance with a codec, kept in the global `swims`; returns its port. */
const NEW_SWIM = `
  local name, uuid, algo, mode, keyhex = ...
  local s = require('swim').new({uri = '127.0.0.1:0', uuid = uuid, heartbeat_rate = 0.1})
  local ok, err = s:set_codec({algo = algo, mode = mode, key = harness.unhex(keyhex)})
  if not ok then error(tostring(err)) end
  swims[name] = s
  return tonumber(s:self():uri():match(':(%d+)$'))`;

describe.skipIf(!tt.available)('interop: encryption with tarantool 2.6', () => {
  let t: TarantoolInstance;

  beforeAll(async () => {
    t = await startTarantool({ name: 'crypto', script: 'swims = {}' });
  });
  afterAll(stopAllTarantools);

  for (const [algo, keySize] of ALGOS) {
    for (const mode of MODES) {
      it(`${algo}-${mode}: ping/ack both ways, a full 1440-byte plain packet, tarantool's own pings`, async () => {
        const key = randomBytes(keySize);
        const cipher = new PacketCipher({ algo, mode, key });
        const ttUuid = randomUUID();
        const ourUuid = randomUUID();
        const name = `${algo}-${mode}`;
        const ttPort = await t.eval<number>(NEW_SWIM, name, ttUuid, algo, mode, key.toString('hex'));
        const peer = await udpPeer();
        try {
          // 1. Our encrypted ping is answered with an ack we can open and decode.
          await send(peer.sock, cipher.seal(ping(ourUuid, peer.port)), ttPort);
          const ack = await waitFor(
            () =>
              peer.inbox
                .map((r) => openAndDecode(cipher, r.data))
                .find((p) => p?.failureDetection?.type === 'ack'),
            5000,
            { what: `${name} ack from tarantool` },
          );
          expect(ack.source).toBe(ttUuid);
          expect(ack.meta.uri).toBe(`127.0.0.1:${ttPort}`);

          // 2. The largest plain packet the engine builds (1440 bytes) survives the trip. It
          // carries two records about ourselves: anti-entropy at version 2 with a 900-byte
          // payload, dissemination at version 1 with a payload sized to make the plain text
          // exactly 1440 bytes (whatever order tarantool applies them in, version 2 wins).
          // Tarantool acks it and stores the payload: it decrypted and parsed all of it.
          const self = (version: bigint, n: number) => ({
            status: 'alive' as const,
            uri: `127.0.0.1:${peer.port}`,
            uuid: ourUuid,
            incarnation: { generation: 0n, version },
            payload: Buffer.alloc(n, n & 0xff),
          });
          const big = (n: number) =>
            ping(ourUuid, peer.port, {
              failureDetection: { type: 'ping', incarnation: { generation: 0n, version: 2n } },
              dissemination: [self(1n, n)],
              antiEntropy: [self(2n, 900)],
            });
          const fill = 1440 - (big(300).length - 300);
          expect(fill).toBeGreaterThan(255); // same bin16 header as the probe
          const plainBig = big(fill);
          expect(plainBig.length).toBe(1440);
          const sealedBig = cipher.seal(plainBig);
          expect(sealedBig.length).toBeLessThanOrEqual(1472);
          peer.inbox.length = 0;
          await send(peer.sock, sealedBig, ttPort);
          await waitFor(
            () => peer.inbox.some((r) => openAndDecode(cipher, r.data)?.failureDetection?.type === 'ack'),
            5000,
            { what: `${name}: ack to the 1440-byte ping` },
          );
          await waitFor(
            async () =>
              (await t.eval<number>(
                'local m = swims[select(1, ...)]:member_by_uuid(select(2, ...)) return m and #(m:payload_str() or "") or -1',
                name,
                ourUuid,
              )) === 900,
            5000,
            { what: `${name}: tarantool stored the 900-byte payload` },
          );

          // 3. Tarantool now knows us and probes us on its own rounds: its pings decrypt and
          // decode too, and they carry our payload back (large encrypted packets from it).
          const theirPing = await waitFor(
            () =>
              peer.inbox
                .map((r) => openAndDecode(cipher, r.data))
                .find((p) => p?.failureDetection?.type === 'ping'),
            5000,
            { what: `${name} ping from tarantool` },
          );
          expect(theirPing.source).toBe(ttUuid);
          // Every datagram tarantool sent us opened and decoded.
          for (const r of peer.inbox) expect(openAndDecode(cipher, r.data), `${name} datagram`).not.toBeNull();
        } finally {
          await t.eval('swims[...]:delete() swims[...] = nil', name);
          await peer.close();
        }
      });
    }
  }

  // Wrong key, every pair at once so the whole check costs one window. A valid ping is
  // answered within milliseconds on loopback (the tests above wait for exactly that), and
  // tarantool handles each datagram as it arrives — nothing is deferred — so 20 pings over
  // 2 s with no answer, followed by a correctly keyed ping that IS answered by the same
  // instance, shows the wrong key was what kept it silent.
  it('wrong key: tarantool never answers, never learns us, and its packets do not open for us', async () => {
    const WINDOW_MS = 2000;
    const cases = await Promise.all(
      ALGOS.flatMap(([algo, keySize]) =>
        MODES.map(async (mode) => {
          const name = `wrong-${algo}-${mode}`;
          const theirKey = randomBytes(keySize);
          const ours = new PacketCipher({ algo: algo as Algo, mode: mode as Mode, key: randomBytes(keySize) });
          const right = new PacketCipher({ algo: algo as Algo, mode: mode as Mode, key: theirKey });
          const ttUuid = randomUUID();
          const ourUuid = randomUUID();
          const ttPort = await t.eval<number>(NEW_SWIM, name, ttUuid, algo, mode, theirKey.toString('hex'));
          const pinger = await udpPeer();
          // A second tarantool instance is told about `listener`, so it keeps sending to it.
          const listener = await udpPeer();
          const talker = `${name}-talker`;
          await t.eval<number>(NEW_SWIM, talker, randomUUID(), algo, mode, theirKey.toString('hex'));
          await t.eval(
            'assert(swims[select(1, ...)]:add_member({uri = select(2, ...), uuid = select(3, ...)}))',
            talker,
            `127.0.0.1:${listener.port}`,
            randomUUID(),
          );
          return { name, ours, right, ttUuid, ourUuid, ttPort, pinger, listener, talker };
        }),
      ),
    );
    try {
      const deadline = Date.now() + WINDOW_MS;
      while (Date.now() < deadline) {
        await Promise.all(cases.map((c) => send(c.pinger.sock, c.ours.seal(ping(c.ourUuid, c.pinger.port)), c.ttPort)));
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const c of cases) {
        expect(c.pinger.inbox.length, `${c.name}: tarantool answered a wrongly keyed ping`).toBe(0);
        const known = await t.eval<boolean>('return swims[...]:member_by_uuid(select(2, ...)) ~= nil', c.name, c.ourUuid);
        expect(known, `${c.name}: tarantool learned a member with the wrong key`).toBe(false);
        // The talker did send (so the check below is not vacuous), and nothing opened.
        expect(c.listener.inbox.length, `${c.name}: talker sent nothing`).toBeGreaterThan(0);
        for (const r of c.listener.inbox) {
          expect(openAndDecode(c.ours, r.data), `${c.name}: wrong key opened a tarantool packet`).toBeNull();
          // ...while the right key does open it: the datagrams were genuine.
          expect(openAndDecode(c.right, r.data), `${c.name}: right key`).not.toBeNull();
        }
      }
      // Liveness: the same instances answer a correctly keyed ping at once.
      await Promise.all(
        cases.map((c) => send(c.pinger.sock, c.right.seal(ping(c.ourUuid, c.pinger.port)), c.ttPort)),
      );
      for (const c of cases) {
        const ack = await waitFor(
          () => c.pinger.inbox.map((r) => openAndDecode(c.right, r.data)).find((p) => p?.failureDetection?.type === 'ack'),
          5000,
          { what: `${c.name}: ack to the correctly keyed ping` },
        );
        expect(ack.source).toBe(c.ttUuid);
      }
    } finally {
      for (const c of cases) {
        await t.eval('for _, n in ipairs({...}) do swims[n]:delete() swims[n] = nil end', c.name, c.talker);
        await c.pinger.close();
        await c.listener.close();
      }
    }
  });
});
