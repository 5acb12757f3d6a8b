// bench/codec: the SWIM datagram codec, native vs msgpackr in JavaScript, in the same run.
//
// The packet: a ping with 26 member records (6 in dissemination, 20 in anti-entropy, 2 of
// them with a MsgPack payload), filling the 1440-byte budget as the engine's piggybacking
// would. Each figure is the best batch of many (ns per operation), so a busy machine skews
// less; ratios are against the msgpackr baseline of the same table, measured in this run.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { decodeRaw, decodeTyped, encodeRaw, encodeTyped, packr, toWire } from './lib/js-codec.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const require = createRequire(import.meta.url);

export const name = 'codec';

function uuid(i) {
  return `${(0x5c2b0000 + i).toString(16).padStart(8, '0')}-9a6d-4f0b-8d3e-${(0x1a2b3c4d5e00 + i).toString(16)}`;
}

function record(i, payload) {
  const r = {
    status: ['alive', 'alive', 'alive', 'suspected', 'dead'][i % 5],
    uri: `10.0.${i >> 8}.${(i & 255) + 1}:${3301 + (i % 7)}`,
    uuid: uuid(i),
    incarnation: { generation: 1700000000n + BigInt(i), version: BigInt(i * 3) },
  };
  if (payload) r.payload = payload;
  return r;
}

/** The benchmark packet, with payloads as large as still lets all 26 records fit 1440. */
export function buildPacket(encodePacket, decodePacket) {
  // 26 records of 52 bytes (Tarantool's fixed-width integers) leave about 20 bytes of the
  // budget: two records carry a MsgPack string payload as long as still fits.
  for (let len = 30; len >= 1; len--) {
    const payload = packr.pack('x'.repeat(len));
    const members = Array.from({ length: 26 }, (_, i) => record(i, i % 13 === 5 ? payload : undefined));
    const packet = {
      meta: { version: 0x020600, uri: '10.0.0.1:3301' },
      source: uuid(999),
      failureDetection: { type: 'ping', incarnation: { generation: 1700000000n, version: 7n } },
      dissemination: members.slice(0, 6),
      antiEntropy: members.slice(6),
    };
    let buf;
    try {
      buf = encodePacket(packet); // throws ERR_SWIM_ENCODE when not everything fits
    } catch (err) {
      if (err.code === 'ERR_SWIM_ENCODE') continue;
      throw err;
    }
    const back = decodePacket(buf);
    if (back.dissemination.length + back.antiEntropy.length === 26) return { packet, buf, payloadSize: payload.length };
  }
  throw new Error('26 records do not fit 1440 bytes');
}

function measure(fn, seconds) {
  globalThis.gc?.();
  // Warm up (JIT, caches), then best of many batches.
  const warmEnd = performance.now() + Math.min(200, seconds * 250);
  while (performance.now() < warmEnd) fn();
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    if (performance.now() - t0 > 5) break;
    batch *= 2;
  }
  let best = Infinity;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    const ns = Number(process.hrtime.bigint() - t0) / batch;
    if (ns < best) best = ns;
  }
  return best;
}

/** Builds (if stale) and runs bench/codec_core.cc: the C++ codec with no JS at all. */
function runCore(buf, seconds) {
  const outDir = path.join(root, 'build', 'bench');
  const bin = path.join(outDir, 'codec_core');
  const sources = ['native/core/msgpack.cc', 'native/core/codec.cc', 'native/core/types.cc', 'bench/codec_core.cc'].map(
    (f) => path.join(root, f),
  );
  const headers = fs.readdirSync(path.join(root, 'native/core')).filter((f) => f.endsWith('.h')).map((f) => path.join(root, 'native/core', f));
  try {
    const built = fs.existsSync(bin) ? fs.statSync(bin).mtimeMs : 0;
    if ([...sources, ...headers].some((f) => fs.statSync(f).mtimeMs > built)) {
      fs.mkdirSync(outDir, { recursive: true });
      // -O3: node-gyp's Release level for the addon.
      execFileSync(process.env.CXX || 'c++', ['-std=c++17', '-O3', '-fno-exceptions', '-I', path.join(root, 'native'), ...sources, '-o', bin], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    }
    const file = path.join(os.tmpdir(), `swim-bench-${process.pid}.bin`);
    fs.writeFileSync(file, buf);
    try {
      return JSON.parse(execFileSync(bin, [file, String(seconds * 3)], { encoding: 'utf8' }));
    } finally {
      fs.rmSync(file, { force: true });
    }
  } catch (err) {
    console.warn(`bench/codec: C++ core figures unavailable: ${err.message}${err.stderr ? `\n${err.stderr}` : ''}`);
    return undefined;
  }
}

const normalize = (p) =>
  JSON.parse(JSON.stringify(p, (k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array || v?.type === 'Buffer' ? Buffer.from(v.data ?? v).toString('hex') : v)));

export async function run({ seconds = 1 } = {}) {
  const { encodePacket, decodePacket } = require(path.join(root, 'dist', 'index.js'));
  const { packet, buf, payloadSize } = buildPacket(encodePacket, decodePacket);
  const jsBuf = encodeTyped(packet);
  const wire = toWire(packet);
  // The baseline must do the same work: same Packet out of the same bytes.
  if (!isDeepStrictEqual(normalize(decodeTyped(buf)), normalize(decodePacket(buf)))) {
    throw new Error('bench/codec: the msgpackr baseline does not decode to the same packet');
  }
  if (!isDeepStrictEqual(normalize(decodePacket(encodePacket(packet))), normalize(decodeTyped(jsBuf)))) {
    throw new Error('bench/codec: msgpackr and native encodings differ in content');
  }

  const m = {
    rtTyped: measure(() => decodeTyped(encodeTyped(packet)), seconds),
    rtRaw: measure(() => decodeRaw(encodeRaw(wire)), seconds),
    rtNative: measure(() => decodePacket(encodePacket(packet)), seconds),
    decRaw: measure(() => decodeRaw(buf), seconds),
    decTyped: measure(() => decodeTyped(buf), seconds),
    decNative: measure(() => decodePacket(buf), seconds),
    encRaw: measure(() => encodeRaw(wire), seconds),
    encTyped: measure(() => encodeTyped(packet), seconds),
    encNative: measure(() => encodePacket(packet), seconds),
  };
  const core = runCore(buf, seconds);

  const row = (what, ns, base) => ({
    implementation: what,
    'ns/op': ns === undefined ? 'n/a' : ns.toFixed(0),
    'ops/s': ns === undefined ? 'n/a' : Math.round(1e9 / ns).toLocaleString('en-US'),
    'vs baseline': ns === undefined ? 'n/a' : `${(base / ns).toFixed(2)}x`,
  });
  const desc = `ping + 26 members (2 with a ${payloadSize}-byte payload): native ${buf.length} B, msgpackr ${jsBuf.length} B`;
  return [
    {
      title: `encode + decode of a full datagram — ${desc}`,
      note: 'baseline: msgpackr with the conversion to/from the same Packet objects; "x" = times faster than baseline',
      rows: [
        row('msgpackr + JS conversion (baseline)', m.rtTyped, m.rtTyped),
        row('msgpackr raw wire maps, no conversion', m.rtRaw, m.rtTyped),
        row('swim-native encodePacket + decodePacket (JS, N-API)', m.rtNative, m.rtTyped),
        row('swim-native core, C++ only (the engine\'s path)', core?.roundTripNs, m.rtTyped),
      ],
    },
    {
      title: 'one decode call from JavaScript (same datagram)',
      note: 'baseline: msgpackr unpack of the raw maps; decodePacket includes the N-API crossing and building the JS objects',
      rows: [
        row('msgpackr unpack, raw (baseline)', m.decRaw, m.decRaw),
        row('msgpackr unpack + conversion to Packet', m.decTyped, m.decRaw),
        row('swim-native decodePacket', m.decNative, m.decRaw),
        row('swim-native core decode_packet, C++ only', core?.decodeNs, m.decRaw),
      ],
    },
    {
      title: 'one encode call from JavaScript (same packet)',
      note: 'baseline: msgpackr pack of prebuilt raw maps',
      rows: [
        row('msgpackr pack, raw (baseline)', m.encRaw, m.encRaw),
        row('msgpackr conversion + pack', m.encTyped, m.encRaw),
        row('swim-native encodePacket', m.encNative, m.encRaw),
        row('swim-native core encode_packet, C++ only', core?.encodeNs, m.encRaw),
      ],
    },
  ];
}
