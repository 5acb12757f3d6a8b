// Option parsing and validation. Everything the native side receives has been checked
// here, so a bad option is a SwimError with a clear message, never a native TypeError.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { inspect } from 'node:util';
import { SwimError, type SwimErrorCode } from './errors';
import { normalizeCodecConfig, type CodecConfig, type NativeCodecConfig } from './crypto';

/** Options of `new Swim(...)`. */
export interface SwimOptions {
  /**
   * The address peers reach us at, announced in every packet: `'a.b.c.d:port'`,
   * `'localhost:port'`, `'port'` or a port number (both meaning 127.0.0.1). Port 0 binds a
   * free port; `swim.uri` reports it. `'0.0.0.0:port'` binds every interface and announces
   * this host's first non-loopback private IPv4 address (10/8, 172.16/12, 192.168/16).
   */
  uri: string | number;
  /**
   * Where the socket listens, in the same forms as `uri` (`'0.0.0.0:port'`: every
   * interface). Default: `uri` (`'0.0.0.0:port'` when `uri` is `'0.0.0.0:port'`). The
   * ports may differ (a NAT or a port mapping in between); `uri` port 0 takes the bound one.
   */
  bind?: string | number;
  /**
   * `'host:port'` addresses to join through, in the background from construction on (names
   * are resolved through DNS, every A record); retried for ever at a low rate, and kept:
   * probed again when no member is at their address, so partitions heal (docs/api.md).
   */
  seeds?: readonly string[];
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
  /**
   * Lifeguard (docs/protocol.md#lifeguard): local health, dynamic suspicion, buddy system.
   * Local rules only, wire-compatible with Tarantool. `false`: Tarantool's exact thresholds.
   */
  lifeguard?: boolean;
  /** Initial payload, MessagePack-encoded (at most 1200 bytes encoded). */
  payload?: unknown;
  /**
   * Encryption of every datagram from the first one on (docs/api.md); the same
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
  bind?: string | number;
  uuid?: string;
  heartbeatRate?: number;
  ackTimeout?: number;
  gcMode?: 'on' | 'off';
  lifeguard?: boolean;
}

/**
 * Defaults, chosen for a LAN (docs/api.md). A member pings one peer per `heartbeatRate`;
 * an unanswered ping is re-sent every `ackTimeout`; 2 missed acks make a peer suspected,
 * 3 more make it dead, and the news spreads by gossip. Measured on loopback: a member
 * killed in a 20-member cluster is dead for everyone in 3.5-5.5 s.
 */
export const DEFAULTS = Object.freeze({
  heartbeatRate: 0.5,
  ackTimeout: 0.5,
  gcMode: 'on' as const,
  /** Lifeguard on: a member that cannot reach anyone doubts itself before accusing others. */
  lifeguard: true,
  maxMembers: 4096,
});

/** What a simulated node runs with unless told otherwise (swim-native/sim). */
export const SIM_DEFAULTS = Object.freeze({
  ...DEFAULTS,
  /** Proxies per indirect ping. */
  indirectPingCount: 2,
  /** Not the wall clock: a simulation depends on its seed only. */
  generation: 0n,
});

/** The longest duration any option or simulator call takes, in seconds (11.5 days). */
export const MAX_SECONDS = 1e6;

/**
 * The shortest heartbeatRate and ackTimeout, in seconds: 10 ms. Below it a pair of members
 * would flood each other (1e-9 made two instances exchange ~145,000 packets per second).
 */
export const MIN_PERIOD = 0.01;

const LOOPBACK = 0x7f000001;

/** `join()`'s default timeout, in seconds. */
export const JOIN_TIMEOUT = 10;
/** At most this many seeds (the core keeps 64 seed addresses) and join addresses (32). */
export const MAX_SEEDS = 64;
export const MAX_JOIN_ADDRESSES = 32;

const IPV6_MESSAGE = "IPv6 is not supported: Tarantool's SWIM wire format carries IPv4 addresses only";

function fail(code: SwimErrorCode, message: string, reason?: string): never {
  throw new SwimError(code, message, reason === undefined ? undefined : { reason });
}

/** A received value as error messages show it: strings quoted ('1', not 1), like util.inspect. */
export function show(v: unknown): string {
  return inspect(v, { depth: 1, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 80 });
}

/**
 * A number of seconds: finite, at most MAX_SECONDS, and > 0 (or >= 0 with `zero`, or
 * >= `min` when given: MIN_PERIOD for heartbeatRate and ackTimeout).
 */
export function checkSeconds(v: unknown, what: string, code: SwimErrorCode, zero = false, min = 0): number {
  if (typeof v !== 'number' || !(min > 0 ? v >= min : zero ? v >= 0 : v > 0) || !(v <= MAX_SECONDS)) {
    const low = min > 0 ? `[${min}` : zero ? '[0' : '(0';
    fail(code, `${what} must be a number of seconds in ${low}, ${MAX_SECONDS}], got ${show(v)}`);
  }
  return v;
}

/** heartbeatRate, ackTimeout: seconds in [MIN_PERIOD, MAX_SECONDS]. */
function checkPeriod(v: unknown, what: string): number {
  return checkSeconds(v, what, 'ERR_SWIM_CONFIG', false, MIN_PERIOD);
}

function parsePort(text: string, what: string, code: SwimErrorCode): number {
  if (!/^\d{1,5}$/.test(text)) fail(code, `${what}: bad port ${show(text)}`, 'invalid_uri');
  const port = Number(text);
  if (port > 65535) fail(code, `${what}: port ${port} out of range`, 'invalid_uri');
  return port;
}

/**
 * Parses a URI into its canonical text 'a.b.c.d:port', the form the native side takes.
 * `allowAnyPort`: port 0 (bind a free one) is allowed for our own address, never for a peer's.
 */
export function parseUri(
  uri: unknown,
  what: string,
  code: SwimErrorCode,
  allowAnyPort: boolean,
  allowWildcard = false,
): string {
  const bad = (message: string): never => fail(code, `${what}: ${message}`, 'invalid_uri');
  if (typeof uri === 'string' && (uri.startsWith('[') || uri.indexOf(':') !== uri.lastIndexOf(':')))
    bad(`'${uri}': ${IPV6_MESSAGE}`);
  let ip = LOOPBACK;
  let port: number;
  if (typeof uri === 'number') {
    if (!Number.isInteger(uri) || uri < 0 || uri > 65535) bad(`bad port ${show(uri)}`);
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
        if (!m) return bad(`${show(uri)} is not 'a.b.c.d:port' (IPv4 only, no DNS)`);
        const parts = m.slice(1).map(Number);
        if (parts.some((p) => p > 255)) bad(`bad IPv4 address ${show(host)}`);
        ip = ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
      }
    }
  } else {
    return bad(`expected 'a.b.c.d:port' or a port number, got ${show(uri)}`);
  }
  if (ip === 0 && !allowWildcard) bad('0.0.0.0 is not a peer address');
  if (ip === 0xffffffff) bad('255.255.255.255 is not a member address');
  if (port === 0 && !allowAnyPort) bad('port 0 is not a peer address');
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${port}`;
}

/** True for 'a.b.c.d:port' text whose address is 0.0.0.0 (as parseUri returns it). */
export function isWildcard(uri: string): boolean {
  return uri.startsWith('0.0.0.0:');
}

function privateIpv4(ip: string): boolean {
  const p = ip.split('.').map(Number);
  return p[0] === 10 || (p[0] === 172 && p[1] >= 16 && p[1] <= 31) || (p[0] === 192 && p[1] === 168);
}

/**
 * The address `uri: '0.0.0.0:port'` announces: the first non-internal IPv4 address in the
 * private ranges (10/8, 172.16/12, 192.168/16), interfaces in the order the OS lists them
 * (`os.networkInterfaces()`). ERR_SWIM_CONFIG when there is none.
 */
export function announcedAddress(what: string): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && privateIpv4(a.address)) return a.address;
  }
  return fail(
    'ERR_SWIM_CONFIG',
    `${what}: 0.0.0.0 announces this host's first private IPv4 address (10/8, 172.16/12, 192.168/16), ` +
      `and this host has none; give the address peers reach us at as uri (and bind: '0.0.0.0:port')`,
    'no_private_address',
  );
}

/** A seed: 'host:port' with an IPv4 address or a DNS name as host, port 1..65535. */
export interface Seed {
  text: string;
  host: string;
  port: number;
}

const HOSTNAME_RE = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

export function parseSeed(seed: unknown, what: string, code: SwimErrorCode): Seed {
  const bad = (message: string): never => fail(code, `${what}: ${message}`, 'invalid_uri');
  if (typeof seed !== 'string') return bad(`expected a 'host:port' string, got ${typeof seed}`);
  if (seed.startsWith('[') || seed.indexOf(':') !== seed.lastIndexOf(':')) bad(`'${seed}': ${IPV6_MESSAGE}`);
  const colon = seed.lastIndexOf(':');
  if (colon <= 0) bad(`'${seed}' is not 'host:port'`);
  const host = seed.slice(0, colon);
  const port = parsePort(seed.slice(colon + 1), what, code);
  if (port === 0) bad(`'${seed}': port 0 is not a peer address`);
  if (/^[\d.]+$/.test(host)) {
    const uri = parseUri(seed, what, code, false);  // a numeric host must be a valid IPv4 address
    return { text: seed, host: uri.slice(0, uri.lastIndexOf(':')), port };
  }
  if (!HOSTNAME_RE.test(host)) bad(`'${host}' is neither an IPv4 address nor a host name`);
  return { text: seed, host: host === 'localhost' ? '127.0.0.1' : host, port };
}

export function parseSeeds(seeds: unknown, what: string, code: SwimErrorCode, allowEmpty: boolean): Seed[] {
  if (!Array.isArray(seeds))
    fail(code, `${what}: expected an array of 'host:port' strings, got ${seeds === null ? 'null' : typeof seeds}`);
  if (seeds.length === 0 && !allowEmpty) fail(code, `${what}: no seeds given (expected at least one 'host:port')`);
  if (seeds.length > MAX_SEEDS) fail(code, `${what}: at most ${MAX_SEEDS} seeds, got ${seeds.length}`);
  return seeds.map((s, i) => parseSeed(s, `${what}[${i}]`, code));
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks a member UUID; returns its canonical (lower-case) text. */
export function parseUuid(uuid: unknown, what: string, code: SwimErrorCode): string {
  if (typeof uuid !== 'string' || !UUID_RE.test(uuid))
    fail(code, `${what}: expected a UUID like 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx', got ${show(uuid)}`, 'invalid_uuid');
  if (/^[0-]+$/.test(uuid)) fail(code, `${what}: the nil UUID is not a member UUID`, 'invalid_uuid');
  return uuid.toLowerCase();
}

function checkGcMode(v: unknown): 'on' | 'off' {
  if (v === 'on' || v === 'off') return v;
  return fail('ERR_SWIM_CONFIG', `gcMode must be 'on' or 'off', got ${show(v)}`);
}

function checkMaxMembers(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 2 || v > 2 ** 24)
    fail('ERR_SWIM_CONFIG', `maxMembers must be an integer in [2, 2^24], got ${show(v)}`);
  return v;
}

function checkGeneration(v: unknown): bigint {
  let g: bigint;
  if (typeof v === 'bigint') g = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) g = BigInt(v);
  else return fail('ERR_SWIM_CONFIG', `generation must be a non-negative integer (bigint), got ${show(v)}`);
  if (g < 0n || g > 0xffffffffffffffffn)
    fail('ERR_SWIM_CONFIG', `generation must fit an unsigned 64-bit integer, got ${show(v)}`);
  return g;
}

function checkBoolean(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') fail('ERR_SWIM_CONFIG', `${what} must be a boolean, got ${String(v)}`);
  return v;
}

function checkIndirectPingCount(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 0xffffffff)
    fail('ERR_SWIM_CONFIG', `indirectPingCount must be an integer >= 1, got ${show(v)}`);
  return v;
}

/** Throws ERR_SWIM_CONFIG naming the first key of `obj` not in `allowed`. */
export function checkKeys(obj: object, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key))
      fail('ERR_SWIM_CONFIG', `${what}: unknown option ${show(key)} (known: ${allowed.join(', ')})`);
  }
}

/** The options the native Swim constructor takes. */
export interface NativeOptions {
  /** Announced; port 0 takes the bound port. */
  uri: string;
  /** Where the socket listens. */
  bind: string;
  uuid: string;
  generation: bigint;
  heartbeatRate: number;
  ackTimeout: number;
  gcMode: 'on' | 'off';
  lifeguard: boolean;
  maxMembers: number;
  payload?: Buffer;
  /** Key copies: the caller zeroes them once the native side has taken them. */
  codec?: NativeCodecConfig;
}

const OPTION_KEYS = [
  'uri',
  'bind',
  'seeds',
  'uuid',
  'generation',
  'heartbeatRate',
  'ackTimeout',
  'gcMode',
  'lifeguard',
  'payload',
  'codec',
  'maxMembers',
] as const;

/**
 * uri and bind as the native side takes them: the announced 'a.b.c.d:port' (0.0.0.0
 * replaced by this host's private address) and where to listen.
 */
export function resolveAddresses(
  uri: unknown,
  bind: unknown,
  what: string,
  code: SwimErrorCode,
): { uri: string; bind: string | undefined } {
  const u = parseUri(uri, `${what}uri`, code, true, true);
  const b = bind === undefined ? undefined : parseUri(bind, `${what}bind`, code, true, true);
  if (!isWildcard(u)) return { uri: u, bind: b };
  const port = u.slice(u.indexOf(':') + 1);
  return { uri: `${announcedAddress(`${what}uri`)}:${port}`, bind: b ?? u };
}

export function defaultGeneration(): bigint {
  // Wall-clock microseconds, as Tarantool's default: grows across restarts.
  return BigInt(Date.now()) * 1000n;
}

export function resolveOptions(options: SwimOptions, encodePayload: (value: unknown) => Buffer): NativeOptions {
  if (options === null || typeof options !== 'object')
    fail('ERR_SWIM_CONFIG', `new Swim(options): options must be an object with at least \`uri\`, got ${show(options)}`);
  checkKeys(options, OPTION_KEYS, 'new Swim');
  if (options.uri === undefined) fail('ERR_SWIM_CONFIG', 'new Swim: `uri` is required (e.g. "127.0.0.1:3301")');
  const addresses = resolveAddresses(options.uri, options.bind, '', 'ERR_SWIM_CONFIG');
  if (options.seeds !== undefined) parseSeeds(options.seeds, 'seeds', 'ERR_SWIM_CONFIG', true);
  const native: NativeOptions = {
    uri: addresses.uri,
    bind: addresses.bind ?? addresses.uri,
    uuid: parseUuid(options.uuid ?? randomUUID(), 'uuid', 'ERR_SWIM_CONFIG'),
    generation: options.generation === undefined ? defaultGeneration() : checkGeneration(options.generation),
    heartbeatRate: checkPeriod(options.heartbeatRate ?? DEFAULTS.heartbeatRate, 'heartbeatRate'),
    ackTimeout: checkPeriod(options.ackTimeout ?? DEFAULTS.ackTimeout, 'ackTimeout'),
    gcMode: checkGcMode(options.gcMode ?? DEFAULTS.gcMode),
    lifeguard: checkBoolean(options.lifeguard ?? DEFAULTS.lifeguard, 'lifeguard'),
    maxMembers: checkMaxMembers(options.maxMembers ?? DEFAULTS.maxMembers),
  };
  if (options.payload !== undefined && options.payload !== null) native.payload = encodePayload(options.payload);
  // Last: nothing after it can throw and leave the key copies unwiped.
  if (options.codec !== undefined) native.codec = normalizeCodecConfig(options.codec, 'codec');
  return native;
}

/** A configuration change as the native side takes it (Swim's configure, a simulated node's). */
export interface NativePatch {
  uri?: string;
  /** A socket to listen on (Swim only): rebinds when it differs from the current one. */
  bind?: string;
  uuid?: string;
  heartbeatRate?: number;
  ackTimeout?: number;
  gcMode?: 'on' | 'off';
  indirectPingCount?: number;
  maxMembers?: number;
  generation?: bigint;
  lifeguard?: boolean;
}

/** The options resolvePatch knows. */
export type PatchKey = keyof NativePatch;

const PATCH_KEYS: readonly PatchKey[] = ['uri', 'uuid', 'heartbeatRate', 'ackTimeout', 'gcMode', 'lifeguard'];

/**
 * Checks a configuration change whose allowed options are `keys` (default: what
 * swim.configure() takes). `allowAnyPort`: a uri with port 0 binds a free port.
 */
export function resolvePatch(
  patch: Partial<Record<PatchKey, unknown>>,
  what = 'configure',
  keys: readonly PatchKey[] = PATCH_KEYS,
  allowAnyPort = true,
): NativePatch {
  if (patch === null || typeof patch !== 'object') fail('ERR_SWIM_CONFIG', `${what}: options must be an object, got ${show(patch)}`);
  if ('generation' in patch && !keys.includes('generation'))
    fail('ERR_SWIM_CONFIG', `${what}: generation can only be set when the instance is created`);
  checkKeys(patch, keys, what);
  const out: NativePatch = {};
  const code = 'ERR_SWIM_CONFIG';
  if (patch.uri !== undefined) out.uri = parseUri(patch.uri, `${what}: uri`, code, allowAnyPort);
  if (patch.bind !== undefined) out.bind = parseUri(patch.bind, `${what}: bind`, code, true, true);
  if (patch.uuid !== undefined) out.uuid = parseUuid(patch.uuid, `${what}: uuid`, code);
  if (patch.heartbeatRate !== undefined) out.heartbeatRate = checkPeriod(patch.heartbeatRate, 'heartbeatRate');
  if (patch.ackTimeout !== undefined) out.ackTimeout = checkPeriod(patch.ackTimeout, 'ackTimeout');
  if (patch.gcMode !== undefined) out.gcMode = checkGcMode(patch.gcMode);
  if (patch.indirectPingCount !== undefined) out.indirectPingCount = checkIndirectPingCount(patch.indirectPingCount);
  if (patch.maxMembers !== undefined) out.maxMembers = checkMaxMembers(patch.maxMembers);
  if (patch.generation !== undefined) out.generation = checkGeneration(patch.generation);
  if (patch.lifeguard !== undefined) out.lifeguard = checkBoolean(patch.lifeguard, `${what}: lifeguard`);
  return out;
}
