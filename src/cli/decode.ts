// `swim-native decode`: pretty-prints one datagram (decodePacket, after PacketCipher.open
// when a key is given).
import fs from 'node:fs';
import { decodePacket } from '../codec';
import { PacketCipher } from '../crypto';
import { SwimError } from '../errors';
import { jsonSafe } from '../json';
import { decodePayload } from '../member';
import { parse, UsageError } from './common';
import { parseCodecKey, readCodecKeyFile } from './keys';

export const DECODE_USAGE = `usage: swim-native decode <HEX | FILE | -> [--key KEY | --key-file FILE]

  Pretty-prints one SWIM datagram as JSON: given as hex digits (spaces allowed), as a file
  holding the raw bytes (or hex text), or '-' for standard input.
  --key KEY        decrypt first: ALGO[-MODE]:HEX[,HEX...], e.g. aes256-cbc:<64 hex digits>
                   or aes-gcm:<hex>, or a JSON CodecConfig with hex keys
  --key-file FILE  the same, read from a file (the agent's --codec-key-file format)
  Exit codes: 0 decoded, 1 rejected (the reason is printed), 2 bad command line.`;

const HEXTEXT = /^[0-9a-fA-F\s:]+$/;

function toBytes(arg: string): Buffer {
  if (arg === '-') return maybeHex(fs.readFileSync(0));
  if (fs.existsSync(arg)) return maybeHex(fs.readFileSync(arg));
  const compact = arg.replace(/[\s:]/g, '');
  if (HEXTEXT.test(arg) && compact.length % 2 === 0 && compact.length > 0) return Buffer.from(compact, 'hex');
  throw new UsageError(`decode: '${arg.length > 40 ? `${arg.slice(0, 40)}...` : arg}' is neither hex digits nor a file`);
}

// A file of hex text (as printed by tcpdump -x or xxd -p) is read as hex.
function maybeHex(b: Buffer): Buffer {
  const t = b.toString('latin1');
  const compact = t.replace(/[\s:]/g, '');
  if (b.length > 0 && HEXTEXT.test(t) && compact.length % 2 === 0) return Buffer.from(compact, 'hex');
  return b;
}

function pretty(value: unknown): unknown {
  // Payload bytes: hex, plus the MessagePack value when they are one.
  if (Buffer.isBuffer(value)) {
    const decoded = decodePayload(value);
    return decoded === value ? { hex: value.toString('hex') } : { hex: value.toString('hex'), value: jsonSafe(decoded) };
  }
  if (Array.isArray(value)) return value.map(pretty);
  if (value !== null && typeof value === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) o[k] = pretty(v);
    return o;
  }
  return jsonSafe(value);
}

export async function runDecode(argv: string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const { values, positionals } = parse('decode', argv, { key: { type: 'string' }, 'key-file': { type: 'string' } }, {
    min: 1,
    max: 1,
    names: 'the datagram (hex digits, a file, or -)',
  });
  if (values.help) {
    io.out(`${DECODE_USAGE}\n`);
    return 0;
  }
  if (values.key !== undefined && values['key-file'] !== undefined) throw new UsageError('decode: give --key or --key-file, not both');
  let bytes = toBytes(positionals[0]);
  let cipherName: string | undefined;
  try {
    const config =
      typeof values.key === 'string'
        ? parseCodecKey(values.key, '--key')
        : typeof values['key-file'] === 'string'
          ? readCodecKeyFile(values['key-file'])
          : undefined;
    if (config !== undefined) {
      const cipher = new PacketCipher(config);
      cipherName = cipher.name;
      bytes = cipher.open(bytes);
    }
  } catch (err) {
    const e = err as SwimError;
    if (e instanceof SwimError && e.code === 'ERR_SWIM_DECRYPT') {
      io.err(`swim-native decode: the cipher rejected the datagram: ${e.reason}\n`);
      return 1;
    }
    throw new UsageError(`decode: ${e.message}`);
  }
  try {
    const packet = decodePacket(bytes);
    const out = { size: bytes.length, ...(cipherName !== undefined && { cipher: cipherName }), packet: pretty(packet) };
    io.out(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  } catch (err) {
    const e = err as SwimError;
    if (e instanceof SwimError && e.code === 'ERR_SWIM_DECODE') {
      io.err(`swim-native decode: ${e.message} (reason: ${e.reason})\n`);
      return 1;
    }
    throw err;
  }
}
