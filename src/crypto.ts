// Encryption codecs: config types and validation shared by `new Swim({ codec })`,
// `swim.setCodec()` and the advanced PacketCipher.
import { SwimError } from './errors';
import { native } from './native';

/** Tarantool's cipher algorithms (`crypto.cipher_algo` minus `des`). */
export type TarantoolCipherAlgo = 'aes128' | 'aes192' | 'aes256';
/** Tarantool's cipher modes. OpenSSL's default padding, as Tarantool: PKCS#7 for ecb/cbc. */
export type TarantoolCipherMode = 'ecb' | 'cbc' | 'cfb' | 'ofb';
/**
 * A key: raw bytes, or a string whose UTF-8 bytes are the key (as a Lua string is in
 * Tarantool). For random binary keys use a Uint8Array/Buffer: 'é' in a string is 2 bytes.
 */
export type CodecKey = Uint8Array | string;

/**
 * How datagrams are encrypted.
 * - `{ algo: 'none' }`: plain text (the default).
 * - `{ algo: 'aes128' | 'aes192' | 'aes256', mode, key }`: Tarantool's `swim:set_codec()`,
 *   wire-compatible; the key must be exactly 16 / 24 / 32 bytes; `mode` defaults to 'cbc'
 *   as in Tarantool. Unauthenticated: use it to talk to Tarantool clusters.
 * - `{ algo: 'aes-gcm', keys: [primary, ...older] }`: authenticated encryption with a
 *   keyring (each key 16, 24 or 32 bytes, at most 16 keys). Packets are sealed with the
 *   primary key and accepted under any key of the ring, so keys rotate without downtime.
 *   swim-native only (Tarantool does not speak it).
 */
export type CodecConfig =
  | { algo: 'none' }
  | { algo: TarantoolCipherAlgo; mode?: TarantoolCipherMode; key: CodecKey }
  | { algo: 'aes-gcm'; keys: readonly CodecKey[] };

/** Why a datagram was rejected by a cipher; counted by reason in `swim.stats()`. */
export type CipherDropReason =
  | 'too_short'
  | 'decrypt_failed'
  | 'auth_failed'
  | 'unknown_key'
  | 'unknown_version'
  /** aes-gcm in a Swim: an authentic datagram opened before (a replay); never from PacketCipher. */
  | 'replay';

/** @internal The shape the native side parses (binding/crypto_binding.cc). */
export interface NativeCodecConfig {
  algo: 'none' | TarantoolCipherAlgo | 'aes-gcm';
  mode?: TarantoolCipherMode;
  keys: Buffer[];
}

const KEY_SIZE: Record<TarantoolCipherAlgo, number> = { aes128: 16, aes192: 24, aes256: 32 };
const MODES: readonly string[] = ['ecb', 'cbc', 'cfb', 'ofb'];
/** Largest keyring; more is a configuration mistake, not a rotation. */
export const MAX_CODEC_KEYS = 16;

function configError(where: string, message: string): SwimError {
  return new SwimError('ERR_SWIM_CONFIG', `${where}: ${message}`);
}

function keyBytes(where: string, key: unknown): Buffer {
  if (typeof key === 'string') return Buffer.from(key, 'utf8');
  if (key instanceof Uint8Array) return Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  throw configError(where, `key must be a Uint8Array or a string, got ${key === null ? 'null' : typeof key}`);
}

function checkKeys(config: object, where: string, allowed: readonly string[]): void {
  for (const k of Object.keys(config)) {
    if (!allowed.includes(k)) throw configError(where, `unknown option '${k}' for algo '${(config as { algo: string }).algo}'`);
  }
}

/**
 * Validates a codec config and returns it in the form the native side takes, with keys
 * copied into fresh Buffers (later changes to the caller's arrays have no effect).
 * Throws `SwimError` `ERR_SWIM_CONFIG` with a message naming the problem.
 * @internal Use validateCodecConfig() for a typed check.
 */
export function normalizeCodecConfig(config: unknown, where = 'codec'): NativeCodecConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw configError(where, "expected an object like { algo: 'aes256', mode: 'cbc', key }");
  }
  const c = config as Record<string, unknown>;
  const algo = c.algo;
  if (algo === 'none') {
    checkKeys(c, where, ['algo']);
    return { algo: 'none', keys: [] };
  }
  if (algo === 'aes128' || algo === 'aes192' || algo === 'aes256') {
    checkKeys(c, where, ['algo', 'mode', 'key']);
    const mode = c.mode === undefined ? 'cbc' : c.mode;
    if (typeof mode !== 'string' || !MODES.includes(mode)) {
      throw configError(where, `unknown mode ${JSON.stringify(mode)} (expected 'ecb', 'cbc', 'cfb' or 'ofb')`);
    }
    if (c.key === undefined) throw configError(where, `${algo} needs a key of ${KEY_SIZE[algo]} bytes`);
    const key = keyBytes(where, c.key);
    if (key.length !== KEY_SIZE[algo]) {
      throw configError(where, `${algo} key must be exactly ${KEY_SIZE[algo]} bytes, got ${key.length}`);
    }
    return { algo, mode: mode as TarantoolCipherMode, keys: [Buffer.from(key)] };
  }
  if (algo === 'aes-gcm') {
    checkKeys(c, where, ['algo', 'keys']);
    if (!Array.isArray(c.keys)) throw configError(where, 'aes-gcm needs keys: [primary, ...older]');
    if (c.keys.length === 0) throw configError(where, 'aes-gcm keyring is empty: give at least one key');
    if (c.keys.length > MAX_CODEC_KEYS) throw configError(where, `aes-gcm keyring holds at most ${MAX_CODEC_KEYS} keys`);
    const keys = c.keys.map((k: unknown, i: number) => {
      const b = keyBytes(`${where}.keys[${i}]`, k);
      if (b.length !== 16 && b.length !== 24 && b.length !== 32) {
        throw configError(`${where}.keys[${i}]`, `aes-gcm key must be 16, 24 or 32 bytes, got ${b.length}`);
      }
      return Buffer.from(b);
    });
    return { algo, keys };
  }
  throw configError(
    where,
    `unknown algo ${JSON.stringify(algo)} (expected 'none', 'aes128', 'aes192', 'aes256' or 'aes-gcm')`,
  );
}

/** @internal The codec's name as PacketCipher.name reports it: 'none', 'aes256-cbc', 'aes-gcm'. */
export function codecName(config: NativeCodecConfig): string {
  if (config.algo === 'none' || config.algo === 'aes-gcm') return config.algo;
  return `${config.algo}-${config.mode ?? 'cbc'}`;
}

/** @internal Wipes the key copies normalizeCodecConfig() made. */
export function wipeCodecConfig(config: NativeCodecConfig | undefined): void {
  if (config) for (const k of config.keys) k.fill(0);
}

/** Throws `SwimError` `ERR_SWIM_CONFIG` unless `config` is a valid CodecConfig. */
export function validateCodecConfig(config: unknown): asserts config is CodecConfig {
  normalizeCodecConfig(config);
}

/**
 * Advanced: one codec applied to single datagrams, outside any Swim instance — for tests,
 * tools, benchmarks, or a custom transport. `seal()` turns a plain datagram (meta + body,
 * at most 1440 bytes) into what goes on the wire; `open()` reverses it.
 * The same wire format as a Swim with the same `codec`.
 */
export class PacketCipher {
  readonly #native: { seal(b: Uint8Array): Buffer; open(b: Uint8Array): Buffer | string; name: string; overhead: number };

  constructor(config: CodecConfig) {
    const normalized = normalizeCodecConfig(config);
    try {
      this.#native = new native.PacketCipher(normalized);
    } catch (err) {
      throw new SwimError('ERR_SWIM_CONFIG', `codec: ${(err as Error).message}`, { cause: err });
    } finally {
      wipeCodecConfig(normalized);
    }
  }

  /** 'none', 'aes128-cbc', ..., 'aes-gcm'. */
  get name(): string {
    return this.#native.name;
  }

  /** The most bytes seal() adds (IV or nonce, padding, header, tag). */
  get overhead(): number {
    return this.#native.overhead;
  }

  /** Encrypts one datagram. */
  seal(plain: Uint8Array): Buffer {
    if (!(plain instanceof Uint8Array)) throw new SwimError('ERR_SWIM_INVALID_ARG', 'seal() expects a Uint8Array');
    return this.#native.seal(plain);
  }

  /** Decrypts one datagram; throws `SwimError` `ERR_SWIM_DECRYPT` (`reason`: CipherDropReason). */
  open(datagram: Uint8Array): Buffer {
    const r = this.tryOpen(datagram);
    if (typeof r === 'string') throw new SwimError('ERR_SWIM_DECRYPT', `packet rejected: ${r}`, { reason: r });
    return r;
  }

  /** Decrypts one datagram, or returns why it was rejected. */
  tryOpen(datagram: Uint8Array): Buffer | CipherDropReason {
    if (!(datagram instanceof Uint8Array)) throw new SwimError('ERR_SWIM_INVALID_ARG', 'open() expects a Uint8Array');
    return this.#native.open(datagram) as Buffer | CipherDropReason;
  }
}
