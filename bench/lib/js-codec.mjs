// The baseline for bench/codec: the same SWIM datagram handled in plain JavaScript with
// msgpackr — what a pure-JS implementation would do. Two levels:
//   raw:   pack/unpack of the wire structure (integer-keyed maps, UUID as 16 raw bytes,
//          IPv4 as uint32), no validation, no conversion;
//   typed: raw plus the conversion to and from the same Packet objects decodePacket returns
//          (uri strings, canonical UUID text, bigint incarnations) and a shape check.
// Not Tarantool byte-exact (msgpackr picks the shortest integer encodings and writes
// BigInts as int64), and far less strict than the native decoder: a generous baseline.
import { Packr, Unpackr } from 'msgpackr';

export const packr = new Packr({ useRecords: false, variableMapSize: true });
export const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });

const STATUS = ['alive', 'suspected', 'dead', 'left'];
const STATUS_ID = { alive: 0, suspected: 1, dead: 2, left: 3 };
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function ipToString(ip, port) {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${port}`;
}
// Hand-rolled parsers: the baseline should not lose to the native code on string handling.
function parseUri(uri) {
  let ip = 0;
  let part = 0;
  let i = 0;
  for (; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c === 46 /* . */) {
      ip = (ip << 8) | part;
      part = 0;
    } else if (c === 58 /* : */) break;
    else part = part * 10 + (c - 48);
  }
  ip = ((ip << 8) | part) >>> 0;
  let port = 0;
  for (i++; i < uri.length; i++) port = port * 10 + (uri.charCodeAt(i) - 48);
  return [ip, port];
}
// Tarantool's tt_uuid order: the first three fields little-endian.
const ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
function uuidToText(b) {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[ORDER[i]]];
  }
  return s;
}
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = NIBBLE[65 + i] = 10 + i;
function uuidToWire(text) {
  const out = new Uint8Array(16);
  let pos = 0;
  for (let i = 0; i < 16; i++) {
    if (text.charCodeAt(pos) === 45 /* - */) pos++;
    out[ORDER[i]] = (NIBBLE[text.charCodeAt(pos)] << 4) | NIBBLE[text.charCodeAt(pos + 1)];
    pos += 2;
  }
  return out;
}

function recordToWire(r) {
  const [ip, port] = parseUri(r.uri);
  const m = new Map([
    [0, STATUS_ID[r.status]],
    [1, ip],
    [2, port],
    [3, uuidToWire(r.uuid)],
    [4, r.incarnation.generation],
    [5, r.incarnation.version],
  ]);
  if (r.payload) m.set(6, r.payload);
  return m;
}

/** Packet -> [meta, body] as msgpackr will pack them (integer keys via Map). */
export function toWire(p) {
  const [ip, port] = parseUri(p.meta.uri);
  const meta = new Map([
    [0, p.meta.version],
    [1, ip],
    [2, port],
  ]);
  if (p.meta.route) {
    const [sip, sport] = parseUri(p.meta.route.src);
    const [dip, dport] = parseUri(p.meta.route.dst);
    meta.set(3, new Map([[0, sip], [1, sport], [2, dip], [3, dport]]));
  }
  const body = new Map([[0, uuidToWire(p.source)]]);
  if (p.antiEntropy) body.set(1, p.antiEntropy.map(recordToWire));
  if (p.failureDetection) {
    const fd = p.failureDetection;
    body.set(2, new Map([[0, fd.type === 'ping' ? 0 : 1], [1, fd.incarnation.generation], [2, fd.incarnation.version]]));
  }
  if (p.dissemination) body.set(3, p.dissemination.map(recordToWire));
  if (p.quit) body.set(4, new Map([[0, p.quit.generation], [1, p.quit.version]]));
  return [meta, body];
}

export function encodeRaw(wire) {
  return Buffer.concat([packr.pack(wire[0]), packr.pack(wire[1])]);
}
export function decodeRaw(buf) {
  return unpackr.unpackMultiple(buf);
}

const big = (v) => (typeof v === 'bigint' ? v : BigInt(v));
function check(cond, what) {
  if (!cond) throw new Error(`bad packet: ${what}`);
}
function recordFromWire(m) {
  check(m && typeof m === 'object', 'member');
  const status = STATUS[m[0]];
  check(status !== undefined, 'status');
  check(m[3] instanceof Uint8Array && m[3].length === 16, 'uuid');
  const r = {
    status,
    uri: ipToString(m[1], m[2]),
    uuid: uuidToText(m[3]),
    incarnation: { generation: big(m[4]), version: big(m[5]) },
  };
  if (m[6] !== undefined) r.payload = m[6];
  return r;
}

/** Packet -> bytes with msgpackr (typed level). */
export function encodeTyped(p) {
  return encodeRaw(toWire(p));
}

/** bytes -> Packet with msgpackr (typed level). */
export function decodeTyped(buf) {
  const [meta, body] = unpackr.unpackMultiple(buf);
  check(meta && body && body[0] instanceof Uint8Array && body[0].length === 16, 'header');
  const p = { meta: { version: meta[0], uri: ipToString(meta[1], meta[2]) }, source: uuidToText(body[0]) };
  if (meta[3]) p.meta.route = { src: ipToString(meta[3][0], meta[3][1]), dst: ipToString(meta[3][2], meta[3][3]) };
  if (body[2]) {
    const fd = body[2];
    p.failureDetection = { type: fd[0] === 0 ? 'ping' : 'ack', incarnation: { generation: big(fd[1]), version: big(fd[2]) } };
  }
  if (body[3]) p.dissemination = body[3].map(recordFromWire);
  if (body[1]) p.antiEntropy = body[1].map(recordFromWire);
  if (body[4]) p.quit = { generation: big(body[4][0]), version: big(body[4][1]) };
  return p;
}
