// The fast paths of encodePacket/decodePacket. N-API costs a call per property read or
// set, so packet objects are walked and built here in JavaScript and only flat data crosses
// into native code, through scratch arrays owned by this module (per realm, so per worker):
//
//  - decode: native/binding/codec_binding.cc (decodeScratch) runs the core's strict decoder
//    and writes numbers into a Uint32Array (u64 fields read back through a BigUint64Array on
//    the same buffer) and all UUIDs and URIs as one latin1 string; this module only slices
//    that text and builds object literals. It never parses the wire format.
//  - encode: this module walks the packet in the same order, with the same checks, as the
//    checked native path (encodePacket in codec_binding.cc), flattening it into a scratch
//    Uint32Array plus a payload byte area; URIs and UUIDs are concatenated into one string
//    (with a table of their lengths and destinations) that encodeScratch parses with the
//    core's own parsers before writing the wire bytes. Any input the walk or the parsers do
//    not accept returns FALLBACK and the caller runs the checked native path, which then
//    throws the precise error (or, should this path ever be stricter than that one, simply
//    encodes): every encode error message comes from the native side.
//
// The layouts are mirrored from codec_binding.cc and verified against its `codecLayout`
// export when this module loads.
import { types } from 'node:util';
import { native } from './native';

// ---------------------------------------------------------------------------------------
// Layout (see codec_binding.cc). Word indexes into the Uint32Array; u64 fields take two words
// at an even index, read and written as BigUint64Array element index / 2.

const D_FLAGS = 0;
const D_VERSION = 1;
const D_DISS_COUNT = 2;
const D_AE_COUNT = 3;
const D_URI_LEN = 4;
const D_ROUTE_SRC_LEN = 5;
const D_ROUTE_DST_LEN = 6;
const D_FD_GENERATION = 8;
const D_FD_VERSION = 10;
const D_QUIT_GENERATION = 12;
const D_QUIT_VERSION = 14;
const D_HEADER = 16;
const DM_STATUS = 0;
const DM_URI_LEN = 1;
const DM_PAYLOAD_LEN = 2;
const DM_GENERATION = 4;
const DM_VERSION = 6;
const DM_PAYLOAD_OFFSET = 8;
const DM_PAYLOAD_OFFSET_HIGH = 9;
const D_MEMBER = 10;

const E_FLAGS = 0;
const E_VERSION = 1;
const E_IP = 2;
const E_PORT = 3;
const E_ROUTE_SRC_IP = 4;
const E_ROUTE_SRC_PORT = 5;
const E_ROUTE_DST_IP = 6;
const E_ROUTE_DST_PORT = 7;
const E_DISS_COUNT = 8;
const E_AE_COUNT = 9;
const E_FD_GENERATION = 12;
const E_FD_VERSION = 14;
const E_QUIT_GENERATION = 16;
const E_QUIT_VERSION = 18;
const E_SOURCE = 20;
const E_HEADER = 24;
const EM_STATUS = 0;
const EM_IP = 1;
const EM_PORT = 2;
const EM_PAYLOAD_LEN = 3;
const EM_PAYLOAD_OFFSET = 4;
const EM_GENERATION = 6;
const EM_VERSION = 8;
const EM_UUID = 10;
const E_MEMBER = 14;

const F_ROUTE = 1;
const F_FAILURE_DETECTION = 2;
const F_ACK = 4;
const F_DISSEMINATION = 8;
const F_ANTI_ENTROPY = 16;
const F_QUIT = 32;

const NO_PAYLOAD = 0xffffffff;
const MIN_ENCODED_MEMBER = 52;
const MAX_BUDGET = 65507;
const DEFAULT_BUDGET: number = native.maxPacketSize;
const MAX_PAYLOAD: number = native.maxPayloadSize;

{
  const mine: Record<string, number> = {
    dFlags: D_FLAGS, dVersion: D_VERSION, dDissCount: D_DISS_COUNT, dAeCount: D_AE_COUNT, dUriLen: D_URI_LEN,
    dRouteSrcLen: D_ROUTE_SRC_LEN, dRouteDstLen: D_ROUTE_DST_LEN, dFdGeneration: D_FD_GENERATION,
    dFdVersion: D_FD_VERSION, dQuitGeneration: D_QUIT_GENERATION, dQuitVersion: D_QUIT_VERSION, dHeader: D_HEADER,
    dmStatus: DM_STATUS, dmUriLen: DM_URI_LEN, dmPayloadOffset: DM_PAYLOAD_OFFSET,
    dmPayloadOffsetHigh: DM_PAYLOAD_OFFSET_HIGH, dmPayloadLen: DM_PAYLOAD_LEN,
    dmGeneration: DM_GENERATION, dmVersion: DM_VERSION, dMember: D_MEMBER,
    eFlags: E_FLAGS, eVersion: E_VERSION, eIp: E_IP, ePort: E_PORT, eRouteSrcIp: E_ROUTE_SRC_IP,
    eRouteSrcPort: E_ROUTE_SRC_PORT, eRouteDstIp: E_ROUTE_DST_IP, eRouteDstPort: E_ROUTE_DST_PORT,
    eDissCount: E_DISS_COUNT, eAeCount: E_AE_COUNT, eFdGeneration: E_FD_GENERATION, eFdVersion: E_FD_VERSION,
    eQuitGeneration: E_QUIT_GENERATION, eQuitVersion: E_QUIT_VERSION, eSource: E_SOURCE, eHeader: E_HEADER,
    emStatus: EM_STATUS, emIp: EM_IP, emPort: EM_PORT, emPayloadLen: EM_PAYLOAD_LEN,
    emPayloadOffset: EM_PAYLOAD_OFFSET, emGeneration: EM_GENERATION, emVersion: EM_VERSION, emUuid: EM_UUID,
    eMember: E_MEMBER,
    fRoute: F_ROUTE, fFailureDetection: F_FAILURE_DETECTION, fAck: F_ACK, fDissemination: F_DISSEMINATION,
    fAntiEntropy: F_ANTI_ENTROPY, fQuit: F_QUIT,
    noPayload: NO_PAYLOAD, minEncodedMember: MIN_ENCODED_MEMBER, maxBudget: MAX_BUDGET,
  };
  const theirs = (native.codecLayout ?? {}) as Record<string, number>;
  for (const key of new Set([...Object.keys(mine), ...Object.keys(theirs)])) {
    if (mine[key] !== theirs[key]) {
      throw new Error(`swim-native: codec scratch layout mismatch at '${key}' (stale build of the addon?)`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Intrinsics, taken once: the user's objects may shadow or patch the usual accessors.

const uncurry = <T extends (...args: never[]) => unknown>(fn: T) =>
  Function.prototype.call.bind(fn) as (self: unknown, ...args: Parameters<T>) => ReturnType<T>;
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getter = (key: PropertyKey) => Object.getOwnPropertyDescriptor(TypedArrayPrototype, key)!.get!;
/** 'Uint8Array' for a real Uint8Array (or Buffer), undefined for anything not a typed array. */
const typedArrayName = uncurry(getter(Symbol.toStringTag) as () => string | undefined);
const typedArrayByteLength = uncurry(getter('byteLength') as () => number);
const typedArrayByteOffset = uncurry(getter('byteOffset') as () => number);
const typedArrayBuffer = uncurry(getter('buffer') as () => ArrayBufferLike);
const typedArraySet = uncurry(Uint8Array.prototype.set as (src: Uint8Array, offset?: number) => void);
const isArray = Array.isArray;
const isProxy = types.isProxy;
const isInteger = Number.isInteger;
const allocUnsafeSlow = Buffer.allocUnsafeSlow;
const asUintN = BigInt.asUintN;

// ---------------------------------------------------------------------------------------
// Decode

const STATUS_NAMES = ['alive', 'suspected', 'dead', 'left'] as const;

let dWords = new Uint32Array(D_HEADER + 64 * D_MEMBER);
let dBig = new BigUint64Array(dWords.buffer);
/** Nonzero while a decode is reading dWords: a nested call gets scratch of its own. */
let decoding = 0;

export type DecodeFailure = { error: string; where: string };

/**
 * Decodes `buf` into a Packet (typed by the caller), or returns the native rejection.
 * Throws the native ERR_SWIM_INVALID_ARG error when `buf` is not a Uint8Array.
 */
export function decodeFast(buf: Uint8Array): unknown {
  let words = dWords;
  let big = dBig;
  if (decoding !== 0) {
    words = new Uint32Array(D_HEADER);
    big = new BigUint64Array(words.buffer);
  }
  let text = native.decodeScratch(buf, words) as string | number | DecodeFailure;
  if (typeof text === 'number') {
    // More members than the scratch holds: grow it (kept for later calls) and decode again.
    words = new Uint32Array(Math.max(text, words.length * 2));
    big = new BigUint64Array(words.buffer);
    if (decoding === 0) {
      dWords = words;
      dBig = big;
    }
    text = native.decodeScratch(buf, words) as string | number | DecodeFailure;
    if (typeof text === 'number') throw new Error('swim-native: decodeScratch asked for more scratch twice');
  }
  if (typeof text !== 'string') return text;
  decoding++;
  try {
    return build(buf, words, big, text);
  } finally {
    decoding--;
  }
}

/** Position in the decode text; advanced by members(). */
let cursor = 0;

function build(buf: Uint8Array, w: Uint32Array, big: BigUint64Array, text: string): unknown {
  const flags = w[D_FLAGS];
  let pos = w[D_URI_LEN];
  const uri = text.slice(0, pos);
  let meta;
  if ((flags & F_ROUTE) !== 0) {
    const srcEnd = pos + w[D_ROUTE_SRC_LEN];
    const dstEnd = srcEnd + w[D_ROUTE_DST_LEN];
    meta = { version: w[D_VERSION], uri, route: { src: text.slice(pos, srcEnd), dst: text.slice(srcEnd, dstEnd) } };
    pos = dstEnd;
  } else {
    meta = { version: w[D_VERSION], uri };
  }
  const out: Record<string, unknown> = { meta, source: text.slice(pos, pos + 36) };
  pos += 36;
  if ((flags & F_FAILURE_DETECTION) !== 0) {
    out.failureDetection = {
      type: (flags & F_ACK) !== 0 ? 'ack' : 'ping',
      incarnation: { generation: big[D_FD_GENERATION >> 1], version: big[D_FD_VERSION >> 1] },
    };
  }
  const ndiss = w[D_DISS_COUNT];
  cursor = pos;
  if ((flags & F_DISSEMINATION) !== 0) out.dissemination = members(buf, w, big, text, D_HEADER, ndiss);
  if ((flags & F_ANTI_ENTROPY) !== 0) {
    out.antiEntropy = members(buf, w, big, text, D_HEADER + ndiss * D_MEMBER, w[D_AE_COUNT]);
  }
  if ((flags & F_QUIT) !== 0) {
    out.quit = { generation: big[D_QUIT_GENERATION >> 1], version: big[D_QUIT_VERSION >> 1] };
  }
  return out;
}

function members(buf: Uint8Array, w: Uint32Array, big: BigUint64Array, text: string, at: number, n: number): unknown[] {
  const list: unknown[] = [];
  let pos = cursor;
  for (let i = 0; i < n; i++, at += D_MEMBER) {
    const uuid = text.slice(pos, pos + 36);
    pos += 36;
    const uriEnd = pos + w[at + DM_URI_LEN];
    const uri = text.slice(pos, uriEnd);
    pos = uriEnd;
    const status = STATUS_NAMES[w[at + DM_STATUS]];
    const incarnation = { generation: big[(at + DM_GENERATION) >> 1], version: big[(at + DM_VERSION) >> 1] };
    const len = w[at + DM_PAYLOAD_LEN];
    if (len === NO_PAYLOAD) {
      list.push({ status, uri, uuid, incarnation });
    } else {
      // A copy with a buffer of its own, as Buffer::Copy gave: never a view of the datagram.
      const payload = allocUnsafeSlow(len);
      if (len !== 0) {
        const offset = w[at + DM_PAYLOAD_OFFSET_HIGH] * 0x100000000 + w[at + DM_PAYLOAD_OFFSET];
        const from = typedArrayByteOffset(buf) + offset;
        typedArraySet(payload, new Uint8Array(typedArrayBuffer(buf), from, len));
      }
      list.push({ status, uri, uuid, incarnation, payload });
    }
  }
  cursor = pos;
  return list;
}

// ---------------------------------------------------------------------------------------
// Encode

/** Returned by encodeFast for input only the checked native path may judge. */
export const FALLBACK = undefined;

let eWords = new Uint32Array(E_HEADER + 64 * E_MEMBER);
let eBig = new BigUint64Array(eWords.buffer);
let ePayload = new Uint8Array(2048);
/** URI and UUID strings of the walk: entry i is [dest word << 1 | kind, length]. */
let eStrings = new Uint32Array(2 * (4 + 2 * 64));
let eStringCount = 0;
let eText = '';
let ePayloadUsed = 0;
let eBudget = 0;
/** Nonzero while an encode walk runs: a getter calling encodePacket takes the checked path. */
let encoding = 0;

function growWords(words: number): void {
  const next = new Uint32Array(Math.max(words, eWords.length * 2));
  next.set(eWords);
  eWords = next;
  eBig = new BigUint64Array(next.buffer);
}

/**
 * Encodes `packet` within `maxSize` (undefined: the default budget) and returns the datagram,
 * or FALLBACK when anything about the input is not plainly valid. Throws ERR_SWIM_ENCODE
 * (native) when a valid packet does not fit, and whatever a getter of the input throws.
 */
export function encodeFast(packet: unknown, maxSize: unknown): Buffer | undefined {
  if (encoding !== 0) return FALLBACK;
  let budget: number;
  if (maxSize === undefined) budget = DEFAULT_BUDGET;
  else if (typeof maxSize === 'number' && isInteger(maxSize) && maxSize >= 1 && maxSize <= MAX_BUDGET) budget = maxSize;
  else return FALLBACK;
  encoding++;
  try {
    eBudget = budget;
    ePayloadUsed = 0;
    eStringCount = 0;
    eText = '';
    let ok: boolean;
    try {
      ok = flatten(packet);
    } catch (err) {
      // A getter threw. Had a string before it been invalid, the checked path would have
      // stopped there: let it report that instead.
      if (!native.checkStrings(eWords, eStrings, eStringCount, eText)) return FALLBACK;
      throw err;
    }
    if (!ok) return FALLBACK;
    // null: a string failed to parse.
    return (native.encodeScratch(eWords, ePayload, budget, eStrings, eStringCount, eText) as Buffer | null) ?? FALLBACK;
  } finally {
    eText = '';
    encoding--;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !isArray(v);

// The walk reads properties in exactly the checked path's order and stops at the first
// value it can judge that the checked path would reject, so getters run as they would
// there. URI and UUID texts are judged natively once the walk is done: getters after an
// invalid one still run (once) before the checked path reports it, the one difference.
function flatten(packet: unknown): boolean {
  if (!isObject(packet)) return false;
  let flags = 0;
  const meta = packet.meta;
  if (!isObject(meta)) return false;
  const version = meta.version;
  if (typeof version !== 'number' || !(version >= 1 && version <= 0xffffffff) || !isInteger(version)) return false;
  eWords[E_VERSION] = version;
  if (!putString(meta.uri, E_IP, ADDR)) return false;
  const route = meta.route;
  if (route !== undefined) {
    if (!isObject(route) || !putString(route.src, E_ROUTE_SRC_IP, ADDR) || !putString(route.dst, E_ROUTE_DST_IP, ADDR)) {
      return false;
    }
    flags |= F_ROUTE;
  }
  if (!putString(packet.source, E_SOURCE, UUID)) return false;
  const fd = packet.failureDetection;
  if (fd !== undefined) {
    if (!isObject(fd)) return false;
    const type = fd.type;
    if (type === 'ack') flags |= F_ACK;
    else if (type !== 'ping') return false;
    if (!putIncarnation(fd.incarnation, E_FD_GENERATION)) return false;
    flags |= F_FAILURE_DETECTION;
  }
  const diss = putMembers(packet.dissemination, E_HEADER);
  if (diss < 0) return false;
  if (diss !== ABSENT) flags |= F_DISSEMINATION;
  const ndiss = diss === ABSENT ? 0 : diss;
  const ae = putMembers(packet.antiEntropy, E_HEADER + ndiss * E_MEMBER);
  if (ae < 0) return false;
  if (ae !== ABSENT) flags |= F_ANTI_ENTROPY;
  const quit = packet.quit;
  if (quit !== undefined) {
    if (!putIncarnation(quit, E_QUIT_GENERATION)) return false;
    flags |= F_QUIT;
  }
  eWords[E_FLAGS] = flags;
  eWords[E_DISS_COUNT] = ndiss;
  eWords[E_AE_COUNT] = ae === ABSENT ? 0 : ae;
  return true;
}

const ABSENT = 1 << 30;

/** Record count, ABSENT for undefined, -1 to fall back. */
function putMembers(list: unknown, at: number): number {
  if (list === undefined) return ABSENT;
  // The checked path accepts real arrays only (v8 IsArray): not a Proxy of one.
  if (!isArray(list) || isProxy(list)) return -1;
  const n = list.length;
  if (n > Math.floor(eBudget / MIN_ENCODED_MEMBER)) return -1;
  if (at + n * E_MEMBER > eWords.length) growWords(at + n * E_MEMBER);
  const strings = 2 * (eStringCount + 2 * n);
  if (strings > eStrings.length) {
    const next = new Uint32Array(Math.max(strings, eStrings.length * 2));
    next.set(eStrings);
    eStrings = next;
  }
  for (let i = 0; i < n; i++, at += E_MEMBER) {
    if (!putMember(list[i], at)) return -1;
  }
  return n;
}

function putMember(m: unknown, at: number): boolean {
  if (!isObject(m)) return false;
  let status;
  switch (m.status) {
    case 'alive': status = 0; break;
    case 'suspected': status = 1; break;
    case 'dead': status = 2; break;
    case 'left': status = 3; break;
    default: return false;
  }
  const w = eWords;
  w[at + EM_STATUS] = status;
  if (!putString(m.uri, at + EM_IP, ADDR)) return false;
  if (!putString(m.uuid, at + EM_UUID, UUID)) return false;
  if (!putIncarnation(m.incarnation, at + EM_GENERATION)) return false;
  const payload = m.payload;
  if (payload === undefined) {
    eWords[at + EM_PAYLOAD_LEN] = NO_PAYLOAD;
    return true;
  }
  if (typedArrayName(payload) !== 'Uint8Array') return false;
  const len = typedArrayByteLength(payload);
  if (len > MAX_PAYLOAD) return false;
  const off = ePayloadUsed;
  // Payload bytes beyond the budget can never fit: leave that verdict to the checked path.
  if (off + len > eBudget) return false;
  if (off + len > ePayload.length) {
    const next = new Uint8Array(Math.min(MAX_BUDGET, Math.max(off + len, ePayload.length * 2)));
    next.set(ePayload.subarray(0, off));
    ePayload = next;
  }
  if (len !== 0) typedArraySet(ePayload, payload as Uint8Array, off);
  ePayloadUsed = off + len;
  eWords[at + EM_PAYLOAD_LEN] = len;
  eWords[at + EM_PAYLOAD_OFFSET] = off;
  return true;
}

function putIncarnation(inc: unknown, at: number): boolean {
  if (!isObject(inc)) return false;
  return putU64(inc.generation, at >> 1) && putU64(inc.version, (at >> 1) + 1);
}

function putU64(v: unknown, index: number): boolean {
  if (typeof v === 'bigint') {
    if (asUintN(64, v) !== v) return false; // outside 0..2^64-1 (cheaper than two compares)
    eBig[index] = v;
    return true;
  }
  if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER && isInteger(v)) {
    eBig[index] = BigInt(v);
    return true;
  }
  return false;
}

const ADDR = 0; // 'a.b.c.d:port' -> ip, port words
const UUID = 1; // canonical text -> 16 bytes over 4 words
/** Longest text addr_parse can accept: '255.255.255.255:65535' (no leading zeros). */
const MAX_ADDR_TEXT = 21;

/**
 * Queues a URI or UUID for the native parsers, which write it to eWords[dest...]. Only a
 * non-string or an impossible length is refused here; the parsers judge the text.
 */
function putString(text: unknown, dest: number, kind: number): boolean {
  if (typeof text !== 'string') return false;
  const len = text.length;
  if (kind === UUID ? len !== 36 : len > MAX_ADDR_TEXT) return false;
  const k = eStringCount++ << 1;
  eStrings[k] = (dest << 1) | kind;
  eStrings[k + 1] = len;
  eText += text;
  return true;
}
