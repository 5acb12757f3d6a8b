// Option parsing and validation. Everything the native side receives has been checked
// here, so a bad option is a SwimError with a clear message, never a native TypeError.
import { randomUUID } from 'node:crypto';
import { SwimError, type SwimErrorCode } from './errors';
import { normalizeCodecConfig, type CodecConfig, type NativeCodecConfig } from './crypto';

/** Options of `new Swim(...)`. */
export interface SwimOptions {
  /**
   * Address to bind and announce: `'a.b.c.d:port'`, `'localhost:port'`, `'port'` or a port
   * number (both meaning 127.0.0.1). Port 0 binds a free port; `swim.uri` reports it.
   */
  uri: string | number;
  /** This member's UUID. Default: a random v4 UUID. */
  uuid?: string;
  /**
   * Persistent part of the incarnation. Default: the current time in microseconds since
   * the epoch, like Tarantool (`fiber.time64()`), so a restarted member outranks its old self.
   */
  generation?: bigint | number;
  /** Seconds between two round steps (one ping each). */
  heartbeatRate?: number;
  /** Seconds after which an unanswered ping counts as missed. */
  ackTimeout?: number;
  /** 'on': dead members are removed from the table after a while; 'off': kept. */
  gcMode?: 'on' | 'off';
  /** Initial payload, MessagePack-encoded (at most 1200 bytes encoded). */
  payload?: unknown;
  /**
   * Encryption of every datagram from the first one on (README "Encryption"); the same
   * shape as `swim.setCodec()`. Default: `{ algo: 'none' }`, plain text.
   */
  codec?: CodecConfig;
  /**
   * Most members (self included) the table holds from what arrives on the wire, 2..2^24.
   * A full table takes a new member only in place of a dead or left one; `addMember()` is
   * exempt. Default 4096 (docs/protocol.md, "Hostile input").
   */
  maxMembers?: number;
}

/** What `swim.configure()` can change at run time. */
export interface SwimConfigPatch {
  uri?: string | number;
  uuid?: string;
  heartbeatRate?: number;
  ackTimeout?: number;
  gcMode?: 'on' | 'off';
}

/**
 * Defaults, chosen for a LAN (see README "Defaults"). A member pings one peer per
 * `heartbeatRate`; an unanswered ping is re-sent every `ackTimeout`; 2 missed acks make
 * a peer suspected, 3 more make it dead, and the news spreads by gossip. Measured on
 * loopback: a member killed in a 20-member cluster is dead for everyone in 3.5-5.5 s.
 */
export const DEFAULTS = Object.freeze({
  heartbeatRate: 0.5,
  ackTimeout: 0.5,
  gcMode: 'on' as const,
  maxMembers: 4096,
});

export interface ParsedAddr {
  ip: number;  // host order
  port: number;
  text: string;  // 'a.b.c.d:port'
}

export function formatIp(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

const LOOPBACK = 0x7f000001;

function fail(code: SwimErrorCode, message: string): never {
  throw new SwimError(code, message);
}

function parsePort(text: string, what: string, code: SwimErrorCode): number {
  if (!/^\d{1,5}$/.test(text)) fail(code, `${what}: bad port '${text}'`);
  const port = Number(text);
  if (port > 65535) fail(code, `${what}: port ${port} out of range`);
  return port;
}

/**
 * Parses a URI. `allowAnyPort`: port 0 (bind a free one) is allowed for our own
 * address, never for a peer's.
 */
export function parseUri(
  uri: unknown,
  what: string,
  code: SwimErrorCode,
  allowAnyPort: boolean,
): ParsedAddr {
  let ip = LOOPBACK;
  let port: number;
  if (typeof uri === 'number') {
    if (!Number.isInteger(uri) || uri < 0 || uri > 65535) fail(code, `${what}: bad port ${uri}`);
    port = uri;
  } else if (typeof uri === 'string') {
    const colon = uri.lastIndexOf(':');
    if (colon < 0) {
      port = parsePort(uri, what, code);
    } else {
      const host = uri.slice(0, colon);
      port = parsePort(uri.slice(colon + 1), what, code);
      if (host !== 'localhost') {
        const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
        if (!m) fail(code, `${what}: '${uri}' is not 'a.b.c.d:port' (IPv4 only, no DNS)`);
        const parts = m.slice(1).map(Number);
        if (parts.some((p) => p > 255)) fail(code, `${what}: bad IPv4 address '${host}'`);
        ip = ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
      }
    }
  } else {
    fail(code, `${what}: expected 'a.b.c.d:port' or a port number, got ${typeof uri}`);
  }
  if (ip === 0) fail(code, `${what}: 0.0.0.0 cannot be announced to peers; bind a real address`);
  if (ip === 0xffffffff) fail(code, `${what}: 255.255.255.255 is not a member address`);
  if (port === 0 && !allowAnyPort) fail(code, `${what}: port 0 is not a peer address`);
  return { ip, port, text: `${formatIp(ip)}:${port}` };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** UUID text -> 16 bytes in canonical (RFC 4122) order. */
export function parseUuid(uuid: unknown, what: string, code: SwimErrorCode): Buffer {
  if (typeof uuid !== 'string' || !UUID_RE.test(uuid))
    fail(code, `${what}: expected a UUID like 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'`);
  const bytes = Buffer.from(uuid.replace(/-/g, ''), 'hex');
  if (bytes.every((b) => b === 0)) fail(code, `${what}: the nil UUID is not a member UUID`);
  return bytes;
}

function checkRate(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1e6)
    fail('ERR_SWIM_CONFIG', `${what} must be a positive number of seconds, got ${String(v)}`);
  return v;
}

function checkGcMode(v: unknown): 0 | 1 {
  if (v === 'on') return 0;
  if (v === 'off') return 1;
  return fail('ERR_SWIM_CONFIG', `gcMode must be 'on' or 'off', got ${String(v)}`);
}

function checkMaxMembers(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 2 || v > 2 ** 24)
    fail('ERR_SWIM_CONFIG', `maxMembers must be an integer in [2, 2^24], got ${String(v)}`);
  return v;
}

function checkGeneration(v: unknown): bigint {
  let g: bigint;
  if (typeof v === 'bigint') g = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) g = BigInt(v);
  else return fail('ERR_SWIM_CONFIG', `generation must be a non-negative integer (bigint), got ${String(v)}`);
  if (g < 0n || g > 0xffffffffffffffffn)
    fail('ERR_SWIM_CONFIG', `generation must fit an unsigned 64-bit integer, got ${g}`);
  return g;
}

function checkKeys(obj: object, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key))
      fail('ERR_SWIM_CONFIG', `${what}: unknown option '${key}' (known: ${allowed.join(', ')})`);
  }
}

/** The options the native constructor takes. */
export interface NativeOptions {
  ip: number;
  port: number;
  uuid: Buffer;
  generation: bigint;
  heartbeatRate: number;
  ackTimeout: number;
  gcMode: 0 | 1;
  maxMembers: number;
  payload?: Buffer;
  /** Key copies: the caller zeroes them once the native side has taken them. */
  codec?: NativeCodecConfig;
}

const OPTION_KEYS = ['uri', 'uuid', 'generation', 'heartbeatRate', 'ackTimeout', 'gcMode', 'payload', 'codec', 'maxMembers'] as const;

export function defaultGeneration(): bigint {
  // Wall-clock microseconds, as Tarantool's default: grows across restarts.
  return BigInt(Date.now()) * 1000n;
}

export function resolveOptions(
  options: SwimOptions,
  encodePayload: (value: unknown) => Buffer,
): { native: NativeOptions; uuid: string } {
  if (options === null || typeof options !== 'object')
    fail('ERR_SWIM_CONFIG', 'new Swim(options): options must be an object with at least `uri`');
  checkKeys(options, OPTION_KEYS, 'new Swim');
  if (options.uri === undefined) fail('ERR_SWIM_CONFIG', 'new Swim: `uri` is required (e.g. "127.0.0.1:3301")');
  const addr = parseUri(options.uri, 'uri', 'ERR_SWIM_CONFIG', true);
  const uuid = options.uuid === undefined ? randomUUID() : options.uuid;
  const uuidBytes = parseUuid(uuid, 'uuid', 'ERR_SWIM_CONFIG');
  const native: NativeOptions = {
    ip: addr.ip,
    port: addr.port,
    uuid: uuidBytes,
    generation: options.generation === undefined ? defaultGeneration() : checkGeneration(options.generation),
    heartbeatRate: checkRate(options.heartbeatRate ?? DEFAULTS.heartbeatRate, 'heartbeatRate'),
    ackTimeout: checkRate(options.ackTimeout ?? DEFAULTS.ackTimeout, 'ackTimeout'),
    gcMode: checkGcMode(options.gcMode ?? DEFAULTS.gcMode),
    maxMembers: checkMaxMembers(options.maxMembers ?? DEFAULTS.maxMembers),
  };
  if (options.payload !== undefined && options.payload !== null) native.payload = encodePayload(options.payload);
  // Last: nothing after it can throw and leave the key copies unwiped.
  if (options.codec !== undefined) native.codec = normalizeCodecConfig(options.codec, 'codec');
  return { native, uuid: uuid.toLowerCase() };
}

/** The patch the native configure takes. */
export interface NativePatch {
  ip?: number;
  port?: number;
  uuid?: Buffer;
  heartbeatRate?: number;
  ackTimeout?: number;
  gcMode?: 0 | 1;
}

const PATCH_KEYS = ['uri', 'uuid', 'heartbeatRate', 'ackTimeout', 'gcMode'] as const;

export function resolvePatch(patch: SwimConfigPatch): NativePatch {
  if (patch === null || typeof patch !== 'object') fail('ERR_SWIM_CONFIG', 'configure(patch): patch must be an object');
  if ('generation' in patch)
    fail('ERR_SWIM_CONFIG', 'configure: generation can only be set when the instance is created');
  checkKeys(patch, PATCH_KEYS, 'configure');
  const out: NativePatch = {};
  if (patch.uri !== undefined) {
    const a = parseUri(patch.uri, 'uri', 'ERR_SWIM_CONFIG', true);
    out.ip = a.ip;
    out.port = a.port;
  }
  if (patch.uuid !== undefined) out.uuid = parseUuid(patch.uuid, 'uuid', 'ERR_SWIM_CONFIG');
  if (patch.heartbeatRate !== undefined) out.heartbeatRate = checkRate(patch.heartbeatRate, 'heartbeatRate');
  if (patch.ackTimeout !== undefined) out.ackTimeout = checkRate(patch.ackTimeout, 'ackTimeout');
  if (patch.gcMode !== undefined) out.gcMode = checkGcMode(patch.gcMode);
  return out;
}
