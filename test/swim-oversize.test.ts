// Datagrams over 1472 bytes on real UDP (127.0.0.1): dropped on arrival, before decryption
// or decoding, and counted as drops.oversize; a 1472-byte datagram still reaches the decoder
// or the cipher.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Swim, type SwimOptions } from '../src/index';
import { waitFor } from './helpers/wait';

const open: Swim[] = [];
const sockets: Socket[] = [];

function make(options: Partial<SwimOptions> = {}): Swim {
  const s = new Swim({ uri: '127.0.0.1:0', heartbeatRate: 0.1, ackTimeout: 1, ...options });
  open.push(s);
  return s;
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function sender(): Promise<(data: Buffer, to: Swim) => Promise<void>> {
  const sock = createSocket('udp4');
  sockets.push(sock);
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  return (data, to) =>
    new Promise((resolve, reject) =>
      sock.send(data, Number(to.uri.split(':')[1]), '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
}

describe('oversize datagrams', () => {
  it('a plain Swim drops datagrams over 1472 bytes unread and counts them', async () => {
    const s = make();
    const send = await sender();
    for (const n of [2000, 1473, 9000]) await send(Buffer.alloc(n, 0x81), s);
    await waitFor(() => s.stats().drops.oversize === 3, 10_000, { what: 'oversize counted' });
    // 1472 bytes is a datagram like any other: the decoder sees it (and rejects the junk).
    await send(Buffer.alloc(1472, 0x81), s);
    await waitFor(() => s.stats().packetsReceived === 1, 10_000, { what: 'the 1472-byte datagram decoded' });
    const st = s.stats();
    expect(st.drops.oversize).toBe(3);
    expect(st.packetsDropped).toBe(4); // the total of drops: 3 oversize + the junk
    expect(st.receiveErrors).toBe(0);
    expect(st.transformDrops).toBe(0);
  });

  it('an encrypted Swim drops them before the cipher', async () => {
    const s = make({ codec: { algo: 'aes-gcm', keys: [randomBytes(32)] } });
    const send = await sender();
    const big = randomBytes(2000);
    big[0] = 1; // the GCM format version: only the size tells it apart
    await send(big, s);
    await waitFor(() => s.stats().drops.oversize === 1, 10_000, { what: 'oversize counted' });
    await send(big.subarray(0, 1472), s);
    await waitFor(() => s.stats().transformDrops === 1, 10_000, { what: 'the 1472-byte datagram reached the cipher' });
    const st = s.stats();
    expect(st.cipherDrops.unknown_key).toBe(1);
    expect(st.packetsReceived).toBe(0);
    expect(st.packetsDropped).toBe(1);
  });
});
