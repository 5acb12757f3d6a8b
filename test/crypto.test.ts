import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PacketCipher, validateCodecConfig, type CodecConfig } from '../src/index';
import { SwimError } from '../src/errors';
import { ALGOS, MODES } from './helpers/ciphers';

const UDP_PACKET_SIZE = 1472;
const MAX_PLAIN = 1440;

function rnd(n: number): Buffer {
  return nodeCrypto.randomBytes(n);
}

function expectConfigError(config: unknown, message: RegExp): void {
  let caught: unknown;
  try {
    new PacketCipher(config as CodecConfig);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SwimError);
  expect((caught as SwimError).code).toBe('ERR_SWIM_CONFIG');
  expect((caught as SwimError).message).toMatch(message);
  expect(() => validateCodecConfig(config)).toThrow(message);
}

function dropReason(c: PacketCipher, datagram: Uint8Array): string | null {
  const r = c.tryOpen(datagram);
  return typeof r === 'string' ? r : null;
}

const SIZES = [1, 15, 16, 17, 31, 32, 100, 1024, 1439, MAX_PLAIN];

describe('Tarantool codecs', () => {
  for (const [algo, keySize] of ALGOS) {
    for (const mode of MODES) {
      const name = `${algo}-${mode}`;
      it(`${name}: round trip, wire format (IV + OpenSSL EVP ciphertext), size budget`, () => {
        const key = rnd(keySize);
        const a = new PacketCipher({ algo, mode, key });
        const b = new PacketCipher({ algo, mode, key: Buffer.from(key) });
        expect(a.name).toBe(name);
        const ivSize = mode === 'ecb' ? 0 : 16;
        const padded = mode === 'ecb' || mode === 'cbc';
        expect(a.overhead).toBe(ivSize + (padded ? 16 : 0));
        for (const n of SIZES) {
          const plain = rnd(n);
          const sealed = a.seal(plain);
          // Exact size: IV, then PKCS#7 (1..16 bytes) for block modes, nothing for stream modes.
          const expected = ivSize + (padded ? (Math.floor(n / 16) + 1) * 16 : n);
          expect(sealed.length).toBe(expected);
          expect(sealed.length).toBeLessThanOrEqual(n + a.overhead);
          expect(b.open(sealed).equals(plain)).toBe(true);
          // Independent check of the format with Node's own cipher API: what Tarantool does.
          const d = nodeCrypto.createDecipheriv(
            `aes-${keySize * 8}-${mode}`,
            key,
            ivSize ? sealed.subarray(0, ivSize) : null,
          );
          const viaNode = Buffer.concat([d.update(sealed.subarray(ivSize)), d.final()]);
          expect(viaNode.equals(plain)).toBe(true);
        }
        // The worst case still fits one UDP datagram on a 1500 MTU.
        expect(a.seal(rnd(MAX_PLAIN)).length).toBeLessThanOrEqual(UDP_PACKET_SIZE);
        expect(MAX_PLAIN + a.overhead).toBeLessThanOrEqual(UDP_PACKET_SIZE);
      });

      it(`${name}: what Node's cipher API encrypts (as Tarantool does) opens`, () => {
        const key = rnd(keySize);
        const c = new PacketCipher({ algo, mode, key });
        const iv = mode === 'ecb' ? null : rnd(16);
        const e = nodeCrypto.createCipheriv(`aes-${keySize * 8}-${mode}`, key, iv);
        const plain = rnd(333);
        const datagram = Buffer.concat([iv ?? Buffer.alloc(0), e.update(plain), e.final()]);
        expect(c.open(datagram).equals(plain)).toBe(true);
      });
    }
  }

  it('uses a fresh random IV per packet (except ECB, which has none)', () => {
    for (const mode of MODES) {
      const c = new PacketCipher({ algo: 'aes128', mode, key: rnd(16) });
      const plain = rnd(64);
      const x = c.seal(plain);
      const y = c.seal(plain);
      if (mode === 'ecb') expect(x.equals(y)).toBe(true);
      else {
        expect(x.subarray(0, 16).equals(y.subarray(0, 16))).toBe(false);
        expect(x.equals(y)).toBe(false);
      }
    }
  });

  it("mode defaults to 'cbc' as in Tarantool", () => {
    const key = rnd(32);
    const c = new PacketCipher({ algo: 'aes256', key });
    expect(c.name).toBe('aes256-cbc');
    const cbc = new PacketCipher({ algo: 'aes256', mode: 'cbc', key });
    expect(cbc.open(c.seal(Buffer.from('x'))).toString()).toBe('x');
  });

  it('a string key is its UTF-8 bytes', () => {
    const s = 'abcdefgh12345678';
    const fromString = new PacketCipher({ algo: 'aes128', mode: 'cfb', key: s });
    const fromBytes = new PacketCipher({ algo: 'aes128', mode: 'cfb', key: Buffer.from(s) });
    expect(fromBytes.open(fromString.seal(Buffer.from('hi'))).toString()).toBe('hi');
    // 'é' is two bytes: 15 characters, 16 bytes.
    expect(new PacketCipher({ algo: 'aes128', mode: 'cbc', key: 'é' + 'a'.repeat(14) }).name).toBe('aes128-cbc');
    expectConfigError({ algo: 'aes128', mode: 'cbc', key: 'é'.repeat(16) }, /exactly 16 bytes, got 32/);
  });

  it('copies the key: changing the caller buffer later has no effect', () => {
    const key = rnd(16);
    const copy = Buffer.from(key);
    const c = new PacketCipher({ algo: 'aes128', mode: 'cbc', key });
    key.fill(0);
    const other = new PacketCipher({ algo: 'aes128', mode: 'cbc', key: copy });
    expect(other.open(c.seal(Buffer.from('still the old key'))).toString()).toBe('still the old key');
  });

  it('rejects short and misaligned datagrams with a reason', () => {
    for (const mode of MODES) {
      const c = new PacketCipher({ algo: 'aes128', mode, key: rnd(16) });
      expect(dropReason(c, Buffer.alloc(0))).toBe('too_short');
      expect(dropReason(c, Buffer.alloc(mode === 'ecb' ? 15 : 16))).toBe('too_short');
      if (mode === 'ecb' || mode === 'cbc') {
        expect(dropReason(c, Buffer.alloc(mode === 'ecb' ? 17 : 33))).toBe('decrypt_failed');
      }
    }
  });

  it('a wrong key is dropped (block modes: bad padding) or yields junk, never the plain text', () => {
    const plain = Buffer.from(JSON.stringify({ some: 'membership', data: [1, 2, 3] }));
    for (const mode of MODES) {
      const a = new PacketCipher({ algo: 'aes256', mode, key: rnd(32) });
      const b = new PacketCipher({ algo: 'aes256', mode, key: rnd(32) });
      let dropped = 0;
      for (let i = 0; i < 50; i++) {
        const r = b.tryOpen(a.seal(plain));
        if (typeof r === 'string') {
          expect(r).toBe('decrypt_failed');
          dropped++;
        } else expect(r.equals(plain)).toBe(false);
      }
      // Unpadded stream modes cannot notice; PKCS#7 catches all but ~1/256 of them.
      if (mode === 'ecb' || mode === 'cbc') expect(dropped).toBeGreaterThan(40);
    }
  });
});

describe('configuration errors (ERR_SWIM_CONFIG)', () => {
  it('wrong key length for every algo', () => {
    for (const [algo, size] of ALGOS) {
      for (const bad of [0, 1, size - 1, size + 1, 64]) {
        expectConfigError({ algo, mode: 'cbc', key: Buffer.alloc(bad) }, new RegExp(`exactly ${size} bytes, got ${bad}`));
      }
    }
  });

  it('unknown algo, unknown mode, missing or mistyped key, unknown options', () => {
    expectConfigError({ algo: 'des', mode: 'cbc', key: 'x'.repeat(8) }, /unknown algo "des"/);
    expectConfigError({ algo: 'AES128', mode: 'cbc', key: 'x'.repeat(16) }, /unknown algo/);
    expectConfigError({ algo: 'aes128', mode: 'gcm', key: 'x'.repeat(16) }, /unknown mode "gcm"/);
    expectConfigError({ algo: 'aes128', mode: 'cbc' }, /needs a key of 16 bytes/);
    expectConfigError({ algo: 'aes128', mode: 'cbc', key: 12 }, /key must be a Uint8Array or a string, got number/);
    expectConfigError({ algo: 'aes128', mode: 'cbc', key: 'x'.repeat(16), key_size: 16 }, /unknown option 'key_size'/);
    expectConfigError({ algo: 'aes-gcm', key: 'x'.repeat(16) }, /unknown option 'key'/);
    expectConfigError({ algo: 'none', key: 'x' }, /unknown option 'key'/);
    expectConfigError(null, /expected an object/);
    expectConfigError('aes128', /expected an object/);
  });

  it('keyring: empty, too big, a bad key', () => {
    expectConfigError({ algo: 'aes-gcm', keys: [] }, /keyring is empty/);
    expectConfigError({ algo: 'aes-gcm' }, /needs keys/);
    expectConfigError({ algo: 'aes-gcm', keys: Array.from({ length: 17 }, () => rnd(16)) }, /at most 16 keys/);
    expectConfigError({ algo: 'aes-gcm', keys: [rnd(32), rnd(20)] }, /keys\[1\].*16, 24 or 32 bytes, got 20/);
    expectConfigError({ algo: 'aes-gcm', keys: [rnd(32), null] }, /keys\[1\].*got null/);
  });

  it('valid configs pass validateCodecConfig', () => {
    expect(() => validateCodecConfig({ algo: 'none' })).not.toThrow();
    expect(() => validateCodecConfig({ algo: 'aes192', mode: 'ofb', key: rnd(24) })).not.toThrow();
    expect(() => validateCodecConfig({ algo: 'aes-gcm', keys: [rnd(16), rnd(24), 'k'.repeat(32)] })).not.toThrow();
  });

  it('seal/open take bytes only', () => {
    const c = new PacketCipher({ algo: 'aes-gcm', keys: [rnd(16)] });
    expect(() => c.seal('text' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_SWIM_INVALID_ARG' }));
    expect(() => c.open([1, 2] as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_SWIM_INVALID_ARG' }));
  });
});

describe("'none'", () => {
  it('passes bytes through', () => {
    const c = new PacketCipher({ algo: 'none' });
    expect(c.overhead).toBe(0);
    const p = rnd(100);
    expect(c.seal(p).equals(p)).toBe(true);
    expect(c.open(p).equals(p)).toBe(true);
  });
});

const GCM_LABEL = Buffer.from('swim-native gcm key id');
function keyId(key: Buffer): Buffer {
  return nodeCrypto.createHash('sha256').update(GCM_LABEL).update(key).digest().subarray(0, 3);
}

describe('AES-GCM keyring', () => {
  it('round trip for 128/192/256-bit keys; format: version, key id, nonce, ciphertext, tag', () => {
    for (const size of [16, 24, 32]) {
      const key = rnd(size);
      const c = new PacketCipher({ algo: 'aes-gcm', keys: [key] });
      expect(c.name).toBe('aes-gcm');
      expect(c.overhead).toBe(32);
      for (const n of SIZES) {
        const plain = rnd(n);
        const sealed = c.seal(plain);
        expect(sealed.length).toBe(n + 32);
        expect(c.open(sealed).equals(plain)).toBe(true);
        expect(sealed[0]).toBe(1);
        expect(sealed.subarray(1, 4).equals(keyId(key))).toBe(true);
        // Node's own AES-GCM agrees: nonce 12 bytes, the 4 header bytes as AAD, tag last.
        const d = nodeCrypto.createDecipheriv(`aes-${size * 8}-gcm` as nodeCrypto.CipherGCMTypes, key, sealed.subarray(4, 16));
        d.setAAD(sealed.subarray(0, 4));
        d.setAuthTag(sealed.subarray(sealed.length - 16));
        const viaNode = Buffer.concat([d.update(sealed.subarray(16, sealed.length - 16)), d.final()]);
        expect(viaNode.equals(plain)).toBe(true);
      }
      expect(c.seal(rnd(MAX_PLAIN)).length).toBe(UDP_PACKET_SIZE);
    }
  });

  it('uses a fresh random nonce per packet', () => {
    const c = new PacketCipher({ algo: 'aes-gcm', keys: [rnd(16)] });
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(c.seal(Buffer.from('same')).subarray(4, 16).toString('hex'));
    expect(seen.size).toBe(1000);
  });

  it('rejects every single-bit flip of a captured packet, with the right reason', () => {
    const key = rnd(32);
    const c = new PacketCipher({ algo: 'aes-gcm', keys: [key, rnd(16)] });
    const plain = rnd(120);
    const sealed = c.seal(plain);
    expect(c.open(sealed).equals(plain)).toBe(true);
    const reasons = new Map<string, number>();
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const t = Buffer.from(sealed);
      t[bit >> 3] ^= 1 << (bit & 7);
      const r = dropReason(c, t);
      expect(r, `bit ${bit}`).not.toBeNull();
      const byte = bit >> 3;
      expect(r, `bit ${bit}`).toBe(byte === 0 ? 'unknown_version' : byte < 4 ? 'unknown_key' : 'auth_failed');
      reasons.set(r!, (reasons.get(r!) ?? 0) + 1);
    }
    expect(reasons.get('auth_failed')).toBe((sealed.length - 4) * 8);
    // And the cipher is not left in a bad state by all those failures.
    expect(c.open(sealed).equals(plain)).toBe(true);
  });

  it('rejects every truncation and extension', () => {
    const c = new PacketCipher({ algo: 'aes-gcm', keys: [rnd(16)] });
    const sealed = c.seal(rnd(50));
    for (let n = 0; n < sealed.length; n++) {
      expect(dropReason(c, sealed.subarray(0, n)), `length ${n}`).toBe(n < 33 ? 'too_short' : 'auth_failed');
    }
    expect(dropReason(c, Buffer.concat([sealed, Buffer.from([0])]))).toBe('auth_failed');
  });

  it('accepts a packet sealed with an older ring key, and rejects it once the key is removed', () => {
    const oldKey = rnd(32);
    const newKey = rnd(32);
    const sealedOld = new PacketCipher({ algo: 'aes-gcm', keys: [oldKey] }).seal(Buffer.from('from the old key'));
    const ring = new PacketCipher({ algo: 'aes-gcm', keys: [newKey, oldKey] });
    expect(ring.open(sealedOld).toString()).toBe('from the old key');
    const removed = new PacketCipher({ algo: 'aes-gcm', keys: [newKey] });
    expect(dropReason(removed, sealedOld)).toBe('unknown_key');
    // A different key of the same length is not enough either.
    expect(dropReason(new PacketCipher({ algo: 'aes-gcm', keys: [rnd(32)] }), sealedOld)).toBe('unknown_key');
  });

  it('rotation procedure keeps every pair talking at every step', () => {
    const A = rnd(32);
    const B = rnd(16);
    // Three members; each step is applied to one member at a time, so at every moment
    // members are in two adjacent configurations.
    const steps: Buffer[][] = [[A], [A, B], [B, A], [B]];
    const nodes = [0, 0, 0];
    const cipherOf = (step: number) => new PacketCipher({ algo: 'aes-gcm', keys: steps[step] });
    for (let step = 1; step < steps.length; step++) {
      for (let n = 0; n < nodes.length; n++) {
        nodes[n] = step;
        for (let i = 0; i < nodes.length; i++) {
          for (let j = 0; j < nodes.length; j++) {
            const msg = Buffer.from(`${i}->${j} at step ${step}`);
            expect(cipherOf(nodes[j]).open(cipherOf(nodes[i]).seal(msg)).equals(msg)).toBe(true);
          }
        }
      }
    }
    // Skipping a step breaks it: [A] cannot read what [B] seals.
    expect(dropReason(cipherOf(0), cipherOf(3).seal(Buffer.from('x')))).toBe('unknown_key');
  });

  it('a key id collision only costs a retry: the right key still opens', () => {
    // Key ids are 24 bits: a birthday search finds two keys sharing one in a few thousand tries.
    const byId = new Map<string, Buffer>();
    let k1: Buffer | undefined;
    let k2: Buffer | undefined;
    while (!k2) {
      const k = rnd(16);
      const id = keyId(k).toString('hex');
      const other = byId.get(id);
      if (other) [k1, k2] = [other, k];
      else byId.set(id, k);
    }
    const sealed = new PacketCipher({ algo: 'aes-gcm', keys: [k2] }).seal(Buffer.from('ok'));
    expect(sealed.subarray(1, 4).equals(keyId(k1!))).toBe(true);
    // k1 is tried first (same id), fails authentication, then k2 opens it.
    expect(new PacketCipher({ algo: 'aes-gcm', keys: [k1!, k2] }).open(sealed).toString()).toBe('ok');
    expect(dropReason(new PacketCipher({ algo: 'aes-gcm', keys: [k1!] }), sealed)).toBe('auth_failed');
  });
});

describe('hostile input never crashes', () => {
  const configs: CodecConfig[] = [
    { algo: 'aes-gcm', keys: [rnd(32), rnd(16)] },
    ...ALGOS.flatMap(([algo, size]) => MODES.map((mode) => ({ algo, mode, key: rnd(size) }) as CodecConfig)),
  ];
  for (const config of configs) {
    const label = 'mode' in config ? `${config.algo}-${config.mode}` : config.algo;
    it(`${label}: random garbage of every length is rejected or yields junk; valid packets still open`, () => {
      const c = new PacketCipher(config);
      const good = rnd(200);
      const sealed = c.seal(good);
      let opened = 0;
      for (let i = 0; i < 600; i++) {
        const n = i < 100 ? i : Math.floor(Math.random() * 2000);
        const r = c.tryOpen(rnd(n));
        if (typeof r === 'string') {
          expect(['too_short', 'decrypt_failed', 'auth_failed', 'unknown_key', 'unknown_version']).toContain(r);
        } else opened++;
        // Failures in between never poison the context for the next genuine packet.
        if (i % 50 === 0) expect(c.open(sealed).equals(good)).toBe(true);
      }
      if (config.algo === 'aes-gcm') expect(opened).toBe(0);
      // A GCM-looking header with a known key id but junk after it: still an auth failure.
      if (config.algo === 'aes-gcm') {
        const forged = Buffer.concat([sealed.subarray(0, 4), rnd(100)]);
        expect(dropReason(c, forged)).toBe('auth_failed');
      }
      // Views into the middle of a bigger buffer are read within their bounds only.
      const big = Buffer.concat([rnd(7), sealed, rnd(9)]);
      expect(c.open(big.subarray(7, 7 + sealed.length)).equals(good)).toBe(true);
    });
  }

  it('large datagrams (up to the UDP maximum) round trip', () => {
    for (const config of configs) {
      const c = new PacketCipher(config);
      const p = rnd(65507 - c.overhead);
      expect(c.open(c.seal(p)).equals(p)).toBe(true);
    }
  });
});
