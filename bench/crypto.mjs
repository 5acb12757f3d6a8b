// Encryption throughput: packets per second through encode+seal and open+decode for every
// codec, next to the plain codec, in the same run, with ratios.
//
//   node bench/crypto.mjs            (needs `npm run build`; BENCH_MS=<ms per cell>, default 400)
//
// Two views:
// - native: the worker's own per-datagram path (core encode_packet/decode_packet + the
//   PacketCipher), looped in C++ in short batches; this is what a running Swim pays. The
//   loop is a hook (_benchCodecCipher) compiled only into the test build of the addon, so
//   this view loads build-test/ (built first if needed: scripts/build-test-addon.sh);
//   everything else uses the addon users load.
// - js: the public JS entry points (encodePacket + PacketCipher.seal, PacketCipher.open +
//   decodePacket), which add object conversion and Buffer allocation per call.
// Exported run() is what bench/run.mjs calls; it returns the rows and prints a table.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

// The test build of the addon, for its _benchCodecCipher hook (incremental build: a second
// or two when up to date).
function testAddon() {
  const script = fileURLToPath(new URL('../scripts/build-test-addon.sh', import.meta.url));
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return require(out.trim().split('\n').pop());
}

const CODECS = [
  { label: 'plain', config: { algo: 'none' } },
  ...['aes128', 'aes192', 'aes256'].flatMap((algo) =>
    ['ecb', 'cbc', 'cfb', 'ofb'].map((mode) => ({
      label: `${algo}-${mode}`,
      config: { algo, mode, key: randomBytes({ aes128: 16, aes192: 24, aes256: 32 }[algo]) },
    })),
  ),
  { label: 'aes-gcm (128)', config: { algo: 'aes-gcm', keys: [randomBytes(16)] } },
  { label: 'aes-gcm (256)', config: { algo: 'aes-gcm', keys: [randomBytes(32)] } },
];

function packets(encodePacket) {
  const uuid = (i) => `00000000-0000-1000-8000-${String(i).padStart(12, '0')}`;
  const inc = { generation: 1n, version: 7n };
  const ping = encodePacket({
    meta: { version: 0x020600, uri: '127.0.0.1:3301' },
    source: uuid(1),
    failureDetection: { type: 'ping', incarnation: inc },
  });
  // An ack filled to the 1440-byte budget the engine uses: dissemination + anti-entropy.
  const member = (i) => ({
    status: 'alive',
    uri: `127.0.0.1:${3300 + i}`,
    uuid: uuid(i),
    incarnation: inc,
    payload: Buffer.alloc(16, i),
  });
  const records = Array.from({ length: 40 }, (_, i) => member(i + 2));
  let full;
  for (let n = 1; n <= records.length; n++) {
    try {
      full = encodePacket({
        meta: { version: 0x020600, uri: '127.0.0.1:3301' },
        source: uuid(1),
        failureDetection: { type: 'ack', incarnation: inc },
        dissemination: records.slice(0, Math.ceil(n / 2)),
        antiEntropy: records.slice(0, Math.floor(n / 2)),
      });
    } catch {
      break;
    }
  }
  return { ping, full };
}

function nativeCell(native, normalized, plain, ms) {
  // Warm-up, then batches of ~1 ms until the time budget is spent.
  native._benchCodecCipher(normalized, plain, 200);
  let iters = 0;
  let sealNs = 0;
  let openNs = 0;
  const batch = 500;
  const deadline = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < deadline) {
    const [a, b] = native._benchCodecCipher(normalized, plain, batch);
    sealNs += a;
    openNs += b;
    iters += batch;
  }
  return { sealPps: (iters * 1e9) / sealNs, openPps: (iters * 1e9) / openNs };
}

function jsCell(api, config, packetObj, ms) {
  const { encodePacket, decodePacket, PacketCipher } = api;
  const cipher = new PacketCipher(config);
  const time = (fn) => {
    for (let i = 0; i < 200; i++) fn();
    let n = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round(ms * 1e6));
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < 100; i++) fn();
      n += 100;
      now = process.hrtime.bigint();
    }
    return (n * 1e9) / Number(now - start);
  };
  const wire = cipher.seal(encodePacket(packetObj));
  const plainCodec = config.algo === 'none';
  return {
    sealPps: time(() => (plainCodec ? encodePacket(packetObj) : cipher.seal(encodePacket(packetObj)))),
    openPps: time(() => decodePacket(plainCodec ? wire : cipher.open(wire))),
  };
}

const fmt = (pps) => (pps >= 1e6 ? `${(pps / 1e6).toFixed(2)} M` : `${(pps / 1e3).toFixed(0)} k`);

/** Runs the benchmark; returns { rows } and prints a table unless options.quiet. */
export async function run(options = {}) {
  const ms = Number(options.ms ?? process.env.BENCH_MS ?? 400);
  const api = require('../dist/index.js');
  const native = testAddon();
  const { normalizeCodecConfig } = require('../dist/crypto.js');
  const { ping, full } = packets(api.encodePacket);
  const fullObj = api.decodePacket(full);
  // Round-robin rounds, best of each cell: on a shared machine a burst of foreign load
  // then hits one round of every codec instead of all rounds of one codec.
  const ROUNDS = 3;
  const best = (cells) => ({
    sealPps: Math.max(...cells.map((c) => c.sealPps)),
    openPps: Math.max(...cells.map((c) => c.openPps)),
  });
  const rows = [];
  for (const [size, plain] of [
    ['ping', ping],
    ['full', full],
  ]) {
    const cells = CODECS.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      CODECS.forEach(({ config }, i) => cells[i].push(nativeCell(native, normalizeCodecConfig(config), plain, ms / ROUNDS)));
    }
    const base = best(cells[0]);
    CODECS.forEach(({ label, config }, i) => {
      const cell = best(cells[i]);
      rows.push({
        view: 'native',
        packet: `${size} (${plain.length} B)`,
        codec: label,
        wireBytes: new api.PacketCipher(config).seal(plain).length,
        encodeSealPps: Math.round(cell.sealPps),
        openDecodePps: Math.round(cell.openPps),
        encodeSealVsPlain: cell.sealPps / base.sealPps,
        openDecodeVsPlain: cell.openPps / base.openPps,
      });
    });
  }
  const jsCodecs = CODECS.filter((c) => ['plain', 'aes128-cbc', 'aes256-cbc', 'aes-gcm (256)'].includes(c.label));
  const jsCells = jsCodecs.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    jsCodecs.forEach(({ config }, i) => jsCells[i].push(jsCell(api, config, fullObj, ms / ROUNDS)));
  }
  const jsBase = best(jsCells[0]);
  jsCodecs.forEach(({ label }, i) => {
    const cell = best(jsCells[i]);
    rows.push({
      view: 'js',
      packet: `full (${full.length} B)`,
      codec: label,
      encodeSealPps: Math.round(cell.sealPps),
      openDecodePps: Math.round(cell.openPps),
      encodeSealVsPlain: cell.sealPps / jsBase.sealPps,
      openDecodeVsPlain: cell.openPps / jsBase.openPps,
    });
  });
  if (!options.quiet) {
    console.log(`crypto: packets/s on one core (best of ${ROUNDS} round-robin rounds, ${ms} ms per cell), ratio to the plain codec in the same run`);
    console.log('view    packet           codec          wire B   encode+seal        open+decode');
    for (const r of rows) {
      console.log(
        `${r.view.padEnd(7)} ${r.packet.padEnd(16)} ${r.codec.padEnd(14)} ${String(r.wireBytes ?? '').padStart(6)}  ` +
          `${fmt(r.encodeSealPps).padStart(8)} (${r.encodeSealVsPlain.toFixed(2)}x)  ` +
          `${fmt(r.openDecodePps).padStart(8)} (${r.openDecodeVsPlain.toFixed(2)}x)`,
      );
    }
  }
  return { name: 'crypto', rows };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run();
}
