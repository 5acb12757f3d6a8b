// Member snapshots and member events, built from what the native side hands over.
import type { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { C1, Packr } from 'msgpackr';
import { SwimError } from './errors';
import { encodePlain } from './payload';
import { MAX_PAYLOAD_SIZE, type Incarnation, type MemberStatus } from './codec';
import { jsonSafe } from './json';

export type { Incarnation, MemberStatus };

/** A member as it was when read: a plain object, never updated afterwards. */
export interface Member {
  uuid: string;
  uri: string;
  status: MemberStatus;
  incarnation: Incarnation;
  /** The payload decoded from MessagePack; the raw Buffer when it is not MessagePack; undefined when none. */
  payload: unknown;
  /** The payload bytes as sent, or undefined when the member has none. */
  payloadRaw: Buffer | undefined;
  /** True for this instance's own member. */
  isSelf: boolean;
  /** A JSON-safe copy (bigints as decimal strings, bytes as hex): what JSON.stringify writes. */
  toJSON(): MemberJSON;
}

/** `Member.toJSON()`: incarnation numbers as decimal strings, payload bytes as hex. */
export interface MemberJSON {
  uuid: string;
  uri: string;
  status: MemberStatus;
  incarnation: { generation: string; version: string };
  /** The decoded payload made JSON-safe (bigints as strings, bytes as hex); null when none or not MessagePack. */
  payload: unknown;
  /** The payload bytes as hex, or null when none. */
  payloadHex: string | null;
  isSelf: boolean;
}

function memberToJSON(this: Member): MemberJSON {
  const raw = this.payloadRaw;
  return {
    uuid: this.uuid,
    uri: this.uri,
    status: this.status,
    incarnation: { generation: String(this.incarnation.generation), version: String(this.incarnation.version) },
    payload: raw === undefined || this.payload === raw ? null : jsonSafe(this.payload),
    payloadHex: raw === undefined ? null : raw.toString('hex'),
    isSelf: this.isSelf,
  };
}

// The prototype of every Member: a plain object whose only (non-enumerable) member is
// toJSON, so snapshots still compare and spread as plain data.
const MEMBER_PROTO: object = Object.defineProperty({}, 'toJSON', {
  value: memberToJSON,
  enumerable: false,
  writable: true,
  configurable: true,
});

/** Bits of `MemberEvent.mask` (the values of Tarantool's swim event types). */
export const EventMask = Object.freeze({
  NEW: 1,
  NEW_STATUS: 2,
  NEW_URI: 4,
  NEW_GENERATION: 8,
  NEW_VERSION: 16,
  NEW_INCARNATION: 8 | 16,
  NEW_PAYLOAD: 32,
  UPDATE: 2 | 4 | 8 | 16 | 32,
  DROP: 64,
});

/**
 * What changed about one member. Changes that happen while an event is still undelivered
 * (for example while the event loop is busy) merge into one event whose `member` is the
 * latest state and whose mask is the union of the changes.
 */
export class MemberEvent {
  readonly member: Member;
  readonly mask: number;
  readonly isNew: boolean;
  readonly isDrop: boolean;
  readonly isUpdate: boolean;
  readonly isNewStatus: boolean;
  readonly isNewUri: boolean;
  readonly isNewIncarnation: boolean;
  readonly isNewGeneration: boolean;
  readonly isNewVersion: boolean;
  readonly isNewPayload: boolean;

  constructor(member: Member, mask: number) {
    this.member = member;
    this.mask = mask;
    this.isNew = (mask & EventMask.NEW) !== 0;
    this.isDrop = (mask & EventMask.DROP) !== 0;
    this.isUpdate = (mask & EventMask.UPDATE) !== 0;
    this.isNewStatus = (mask & EventMask.NEW_STATUS) !== 0;
    this.isNewUri = (mask & EventMask.NEW_URI) !== 0;
    this.isNewIncarnation = (mask & EventMask.NEW_INCARNATION) !== 0;
    this.isNewGeneration = (mask & EventMask.NEW_GENERATION) !== 0;
    this.isNewVersion = (mask & EventMask.NEW_VERSION) !== 0;
    this.isNewPayload = (mask & EventMask.NEW_PAYLOAD) !== 0;
  }
}

// Decoding only (encoding is src/payload.ts, plain MessagePack): maps as plain objects, no
// records; 64-bit integers decode as numbers when safe, else as bigint ('auto', missing
// from the typings).
const packr = new Packr({
  useRecords: false,
  variableMapSize: true,
  int64AsType: 'auto' as 'number',
});

/** A payload value as plain MessagePack (src/payload.ts); ERR_SWIM_INVALID_ARG names what cannot be. */
export function encodePayload(value: unknown): Buffer {
  const bytes = encodePlain(value);
  checkPayloadSize(bytes.length);
  return bytes;
}

export function checkPayloadSize(size: number): void {
  if (size > MAX_PAYLOAD_SIZE)
    throw new SwimError(
      'ERR_SWIM_PAYLOAD_TOO_LARGE',
      `payload is ${size} bytes, at most ${MAX_PAYLOAD_SIZE} fit in a SWIM packet`,
    );
}

/** Decodes a payload; anything that is not exactly one MessagePack value stays a Buffer. */
export function decodePayload(raw: Buffer): unknown {
  if (raw.length === 0) return raw;
  try {
    const value: unknown = packr.unpack(raw);
    if (value === C1) return raw;  // 0xc1 is "never used" in MessagePack
    return value;
  } catch {
    return raw;
  }
}

/** A member as every binding hands it over (native/binding/js_convert.cc MemberToJs). */
export interface NativeMember {
  status: MemberStatus;
  uri: string;
  uuid: string;
  incarnation: Incarnation;
  payload?: Buffer;
  isSelf: boolean;
}

/** A Member from its native form: the payload is decoded, its bytes kept as payloadRaw. */
export function memberFromNative(raw: NativeMember): Member {
  const payloadRaw = raw.payload;
  const m = Object.create(MEMBER_PROTO) as Member;
  m.uuid = raw.uuid;
  m.uri = raw.uri;
  m.status = raw.status;
  m.incarnation = raw.incarnation;
  m.payload = payloadRaw === undefined ? undefined : decodePayload(payloadRaw);
  m.payloadRaw = payloadRaw;
  m.isSelf = raw.isSelf;
  return m;
}

/** A member event as every binding hands it over (js_convert.cc EventsToJs). */
export interface NativeMemberEvent {
  mask: number;
  member: NativeMember;
}

export function eventFromNative(raw: NativeMemberEvent): MemberEvent {
  return new MemberEvent(memberFromNative(raw.member), raw.mask);
}

function isAbortSignal(v: unknown): v is AbortSignal {
  if (v instanceof AbortSignal) return true;
  // Another realm's (or a polyfill's) signal: the part memberEvents uses.
  const s = v as Partial<AbortSignal> | null;
  return (
    typeof s === 'object' && s !== null && typeof s.aborted === 'boolean' &&
    typeof s.addEventListener === 'function' && typeof s.removeEventListener === 'function'
  );
}

/**
 * Checks `events(options)`'s argument before anything is registered; returns the signal.
 * Throws ERR_SWIM_INVALID_ARG for options that are not an object, or a `signal` that is
 * not an AbortSignal (the AbortController itself, most likely).
 */
export function eventsSignal(options: unknown, what = 'events'): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object')
    throw new SwimError('ERR_SWIM_INVALID_ARG', `${what}(options): options must be an object like { signal }, got ${inspect(options)}`);
  const signal = (options as { signal?: unknown }).signal;
  if (signal === undefined || isAbortSignal(signal)) return signal;
  const hint = isAbortSignal((signal as { signal?: unknown } | null)?.signal) ? ' (pass controller.signal, not the controller)' : '';
  throw new SwimError(
    'ERR_SWIM_INVALID_ARG',
    `${what}({ signal }): signal must be an AbortSignal${hint}, got ${inspect(signal, { depth: 0, breakLength: Infinity })}`,
  );
}

function abortError(signal: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  (err as Error & { code: string }).code = 'ABORT_ERR';
  return err;
}

/**
 * The 'member' events `emitter` emits from now on, as an async iterator; it ends at the
 * emitter's 'close' and rejects with an AbortError when `signal` aborts.
 */
export function memberEvents(emitter: EventEmitter, signal?: AbortSignal): AsyncIterableIterator<MemberEvent> {
  const queue: MemberEvent[] = [];
  let waiter: { resolve: (r: IteratorResult<MemberEvent>) => void; reject: (e: unknown) => void } | null = null;
  let finished = false;
  let failure: Error | null = null;

  const cleanup = (): void => {
    finished = true;
    emitter.off('member', onMember);
    emitter.off('close', onClose);
    signal?.removeEventListener('abort', onAbort);
  };
  const onMember = (ev: MemberEvent): void => {
    if (waiter) {
      const w = waiter;
      waiter = null;
      w.resolve({ value: ev, done: false });
    } else {
      queue.push(ev);
    }
  };
  const onClose = (): void => {
    cleanup();
    if (waiter) {
      const w = waiter;
      waiter = null;
      w.resolve({ value: undefined, done: true });
    }
  };
  const onAbort = (): void => {
    cleanup();
    queue.length = 0;
    failure = abortError(signal as AbortSignal);
    if (waiter) {
      const w = waiter;
      waiter = null;
      const f = failure;
      failure = null;
      w.reject(f);
    }
  };

  if (signal?.aborted) {
    finished = true;
    failure = abortError(signal);
  } else {
    emitter.on('member', onMember);
    emitter.on('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  }

  const iterator: AsyncIterableIterator<MemberEvent> = {
    next: () => {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift() as MemberEvent, done: false });
      if (failure !== null) {
        const f = failure;
        failure = null;
        return Promise.reject(f);
      }
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
    return: () => {
      cleanup();
      queue.length = 0;
      failure = null;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
