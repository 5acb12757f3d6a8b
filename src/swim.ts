// The Swim class: one SWIM member running on its own native thread.
import { EventEmitter } from 'node:events';
import { checkCommand, commandError, SwimError } from './errors';
import { native } from './native';
import {
  checkSeconds,
  JOIN_TIMEOUT,
  parseSeeds,
  parseUri,
  parseUuid,
  resolveAddresses,
  resolveOptions,
  resolvePatch,
  type NativeOptions,
  type NativePatch,
  type SwimConfigPatch,
  type SwimOptions,
} from './config';
import {
  checkPayloadSize,
  encodePayload,
  eventFromNative,
  eventsSignal,
  memberEvents,
  memberFromNative,
  type MemberEvent,
  type Member,
  type NativeMember,
  type NativeMemberEvent,
} from './member';
import { hold, isExiting, release, State, StateWord, track, untrack, type LifecycleHandle } from './lifecycle';
import {
  codecName,
  normalizeCodecConfig,
  wipeCodecConfig,
  type CodecConfig,
  type NativeCodecConfig,
} from './crypto';
import { abortError, join, Seeder, type JoinFailure } from './join';
import * as diagnostics from './diagnostics';
import { summarizeEvents, type MembershipChange } from './change';
import { UUID_NAMESPACE, uuidV5 } from './identity';
import type { EngineStats, SwimStats } from './stats';

export type { JoinFailure };

export { UUID_NAMESPACE };
export type { EngineStats, SwimStats };

interface NativeInfo {
  uri: string;
  port: number;
  bind: string;
  uuid: string;
  heartbeatRate: number;
  ackTimeout: number;
  gcMode: 'on' | 'off';
  lifeguard: boolean;
  size: number;
}

/** The native SwimHandle (native/binding/swim_binding.cc). Internal. */
export interface NativeSwimHandle extends LifecycleHandle {
  ref(): void;
  unref(): void;
  // Commands return undefined, or the name of the error (src/errors.ts).
  addMember(uri: string, uuid: string): string | undefined;
  removeMember(uuid: string): string | undefined;
  probeMember(uri: string): string | undefined;
  broadcast(port: number): string | undefined;
  setSeeds(uris: string[]): string | undefined;
  heardFrom(uris: string[]): number[];
  setPayload(payload: Buffer | null): string | undefined;
  quit(): string | undefined;
  configure(patch: NativePatch): string | undefined;
  setCodec(config: NativeCodecConfig): void;
  info(): NativeInfo;
  members(): NativeMember[];
  member(uuid: string): NativeMember | undefined;
  self(): NativeMember;
  stats(): SwimStats;
}

interface NativeSwimCtor {
  new (options: NativeOptions, callback: (kind: string, arg: unknown) => void): NativeSwimHandle;
}

/** Events of a Swim (EventEmitter). */
export interface SwimEventMap {
  member: [event: MemberEvent];
  /** The view changed: one summary per delivered batch of 'member' events. */
  change: [change: MembershipChange];
  /** Another process claims our UUID from `uri` (at most once per claimant per 10 s). */
  conflict: [claimant: { uuid: string; uri: string }];
  error: [error: Error];
  close: [];
}

function closedError(op: string): SwimError {
  return new SwimError('ERR_SWIM_CLOSED', `${op}: the Swim instance is closed`);
}

function translateNativeError(err: unknown, what: string): SwimError {
  const e = err as { message?: string; uvCode?: string; commandError?: string };
  if (e && typeof e.uvCode === 'string')
    return new SwimError('ERR_SWIM_BIND', `${what}: ${e.message ?? e.uvCode}`, { reason: e.uvCode, cause: err });
  if (e && typeof e.commandError === 'string') return commandError(what, e.commandError);
  return new SwimError('ERR_SWIM_NATIVE', `${what}: ${e?.message ?? String(err)}`, { cause: err });
}

// The native codec check failed (ERR_SWIM_CONFIG), or something else went wrong.
function codecError(err: unknown, where: string): SwimError {
  const e = err as { code?: unknown; message?: string };
  if (e && e.code === 'ERR_SWIM_CONFIG')
    return new SwimError('ERR_SWIM_CONFIG', `${where}: ${e.message ?? 'bad codec'}`, { cause: err });
  return translateNativeError(err, where);
}

const kDeliver = Symbol('deliver');

// A listener's exception must not unwind into the native callback (Node would report it
// through its legacy N-API path): rethrow it from a plain tick, as an uncaught exception.
function rethrowOutsideNative(err: unknown): void {
  process.nextTick(() => {
    throw err;
  });
}

// What the native callback keeps: the Swim only weakly (an unref'd one must stay
// collectable while its worker runs: FinalizationRegistry; a ref'd one is held by
// lifecycle.ts's active set), and the close/quit promise strongly, so that
// `await swim.close()` resolves even if nothing else references the Swim any more.
interface Control {
  readonly swim: WeakRef<Swim>;
  readonly terminated: Promise<void>;
  resolve: () => void;
}

function makeControl(swim: Swim): Control {
  let resolve!: () => void;
  const terminated = new Promise<void>((r) => {
    resolve = r;
  });
  return { swim: new WeakRef(swim), terminated, resolve };
}

function makeCallback(control: Control): (kind: string, arg: unknown) => void {
  return (kind, arg) => {
    if (kind === 'exit') control.resolve();
    control.swim.deref()?.[kDeliver](kind, arg);
  };
}

/**
 * One SWIM member: binds a UDP socket when constructed, runs the protocol on its own
 * native thread, and reports membership changes as 'member' events.
 *
 * While ref'd (the default) a running instance is held like a listening socket: it keeps
 * the process alive and is not collected even when nothing references it. An unref'd one
 * that is garbage-collected without close() is stopped and a process warning is emitted.
 */
export class Swim extends EventEmitter implements AsyncDisposable {
  readonly #handle: NativeSwimHandle;
  readonly #state: StateWord;
  #closing: 'close' | 'quit' | null = null;
  #exited = false;
  // uri and uuid as they were when closing began: identity stays readable afterwards.
  #identity: { uri: string; uuid: string } | null = null;
  readonly #terminated: Promise<void>;
  #codec: string;
  // The socket follows uri (configure({ uri }) rebinds) unless a bind was given.
  #bindFollowsUri: boolean;
  #seeder: Seeder | null = null;
  readonly #joins = new Set<AbortController>();
  // The counters as the worker left them (read at its exit): stats() after close.
  #finalStats: SwimStats | null = null;

  /**
   * A stable UUID (version 5, in the namespace UUID_NAMESPACE) for a name, e.g.
   * `os.hostname()`: a member restarted under the same name keeps its identity, so peers
   * see a rejoin (its generation is bigger) rather than a new member and a ghost.
   */
  static uuidFromName(name: string): string {
    if (typeof name !== 'string' || name.length === 0)
      throw new SwimError('ERR_SWIM_INVALID_ARG', 'uuidFromName(name): expected a non-empty string');
    return uuidV5(name, UUID_NAMESPACE);
  }

  /** The namespace of uuidFromName. */
  static readonly UUID_NAMESPACE = UUID_NAMESPACE;

  constructor(options: SwimOptions) {
    super();
    const nativeOptions = resolveOptions(options, encodePayload);
    if (isExiting()) throw new SwimError('ERR_SWIM_CLOSED', 'cannot create a Swim: the process is exiting');
    const Ctor = native.SwimHandle as NativeSwimCtor;
    const control = makeControl(this);
    this.#terminated = control.terminated;
    this.#codec = nativeOptions.codec ? codecName(nativeOptions.codec) : 'none';
    this.#bindFollowsUri = options.bind === undefined;
    try {
      this.#handle = new Ctor(nativeOptions, makeCallback(control));
    } catch (err) {
      if ((err as { code?: unknown })?.code === 'ERR_SWIM_CONFIG') throw codecError(err, 'codec');
      throw translateNativeError(err, `cannot bind ${String(options.uri)}`);
    } finally {
      wipeCodecConfig(nativeOptions.codec);
    }
    this.#state = new StateWord(this.#handle);
    track(this, this.#handle, this.#state, this.#handle.info().uri);
    if (options.seeds !== undefined && options.seeds.length > 0) {
      const seeds = parseSeeds(options.seeds, 'seeds', 'ERR_SWIM_CONFIG', true);
      // Weakly: the seeder must not keep a forgotten Swim alive.
      const ref = new WeakRef(this);
      this.#seeder = new Seeder(seeds, () => {
        const swim = ref.deref();
        return swim === undefined || swim.closed ? null : swim.#handle;
      });
    }
    hold(this); // ref'd from the start: held until unref(), close(), quit() or its end
    diagnostics.watch(this);
  }

  // --- reads ---------------------------------------------------------------------

  /**
   * The announced address, 'a.b.c.d:port': what peers reach us at (with `uri: '0.0.0.0:…'`,
   * the private address chosen). Still readable after close (the last one).
   */
  get uri(): string {
    // Not #live(): the worker may have ended by itself, its 'close' not yet delivered; the
    // engine outlives its thread until then, when the identity is remembered.
    return this.#identity?.uri ?? this.#handle.info().uri;
  }

  /** This member's UUID. Still readable after close (the last one). */
  get uuid(): string {
    return this.#identity?.uuid ?? this.#handle.info().uuid;
  }

  /** This instance's own member. */
  get self(): Member {
    return memberFromNative(this.#live('self').self());
  }

  /** Number of members in the table, self included. */
  get size(): number {
    return this.#live('size').info().size;
  }

  /** True once close() or quit() was called, or the worker ended by itself. */
  get closed(): boolean {
    return this.#closing !== null || this.#state.load() !== State.RUNNING;
  }

  /** All members (self included), as of now. */
  members(): Member[] {
    return this.#live('members').members().map(memberFromNative);
  }

  member(uuid: string): Member | undefined {
    const handle = this.#live('member');
    const raw = handle.member(parseUuid(uuid, 'member(uuid)', 'ERR_SWIM_INVALID_ARG'));
    return raw === undefined ? undefined : memberFromNative(raw);
  }

  /**
   * The counters. Still readable after close()/quit(): while the worker stops, as of now;
   * once it is gone, the final counters it left.
   */
  stats(): SwimStats {
    if (this.#finalStats !== null) return structuredClone(this.#finalStats);
    if (this.#closing !== null && !this.#exited) {
      try {
        return this.#readStats();
      } catch {
        throw closedError('stats');  // the worker was freed without notice (process exit)
      }
    }
    this.#live('stats');
    return this.#readStats();
  }

  #readStats(): SwimStats {
    const s = this.#handle.stats();
    s.seedAddresses = this.#seeder?.resolved ?? 0;
    s.seedsUnresolved = this.#seeder?.unresolved ?? 0;
    return s;
  }

  /**
   * The effective configuration. `codec` names the codec set last (never its keys):
   * 'none', 'aes128-cbc', ..., 'aes-gcm'.
   */
  get config(): {
    uri: string;
    bind: string;
    uuid: string;
    heartbeatRate: number;
    ackTimeout: number;
    gcMode: 'on' | 'off';
    lifeguard: boolean;
    codec: string;
  } {
    const i = this.#live('config').info();
    return {
      uri: i.uri,
      bind: i.bind,
      uuid: i.uuid,
      heartbeatRate: i.heartbeatRate,
      ackTimeout: i.ackTimeout,
      gcMode: i.gcMode,
      lifeguard: i.lifeguard,
      codec: this.#codec,
    };
  }

  // --- commands ------------------------------------------------------------------

  /**
   * Adds a member by hand (Tarantool's add_member). Throws ERR_SWIM_MEMBER if its UUID is
   * known or ours, or its uri is our own address.
   */
  addMember(member: { uri: string | number; uuid: string }): void {
    const handle = this.#live('addMember');
    if (member === null || typeof member !== 'object')
      throw new SwimError('ERR_SWIM_INVALID_ARG', 'addMember({ uri, uuid })');
    const uri = parseUri(member.uri, 'addMember: uri', 'ERR_SWIM_INVALID_ARG', false);
    const uuid = parseUuid(member.uuid, 'addMember: uuid', 'ERR_SWIM_INVALID_ARG');
    // Another UUID at our own address would be a phantom member: pings to it reach us.
    if (uri === handle.info().uri)
      throw new SwimError('ERR_SWIM_MEMBER', `addMember: ${uri} is this instance's own address`, { reason: 'self_member' });
    checkCommand('addMember', handle.addMember(uri, uuid));
  }

  removeMember(uuid: string): void {
    const handle = this.#live('removeMember');
    checkCommand('removeMember', handle.removeMember(parseUuid(uuid, 'removeMember: uuid', 'ERR_SWIM_INVALID_ARG')));
  }

  /** Pings an address; the member behind it is added when it answers. */
  probeMember(uri: string | number): void {
    const handle = this.#live('probeMember');
    checkCommand('probeMember', handle.probeMember(parseUri(uri, 'probeMember: uri', 'ERR_SWIM_INVALID_ARG', false)));
  }

  /**
   * Pings the broadcast address of every IPv4 interface that has one, on `port` (default:
   * our own port); members that answer are added. A loopback-only host has no broadcast
   * address, so nothing is sent there (`stats().broadcastTargets` is 0).
   */
  broadcast(port?: number): void {
    const handle = this.#live('broadcast');
    let p: number;
    if (port === undefined) p = handle.info().port;
    else if (Number.isInteger(port) && port > 0 && port <= 65535) p = port;
    else throw new SwimError('ERR_SWIM_INVALID_ARG', `broadcast: bad port ${String(port)}`);
    checkCommand('broadcast', handle.broadcast(p));
  }

  /**
   * Joins a cluster through `seeds` ('host:port'; names are resolved through DNS, every A
   * record): probes them, again with backoff, until at least one answers, then waits one
   * ack timeout for the others. Resolves with how many addresses answered. Rejects with
   * SwimError ERR_SWIM_JOIN (`failures`: each seed's) when none answered within `timeout`
   * seconds (default 10), with an AbortError when `signal` aborts, with ERR_SWIM_CLOSED
   * when the instance closes meanwhile. The seeds are not kept (the `seeds` option is).
   */
  async join(seeds: readonly string[], options: { signal?: AbortSignal; timeout?: number } = {}): Promise<number> {
    this.#live('join');
    const parsed = parseSeeds(seeds, 'join(seeds)', 'ERR_SWIM_INVALID_ARG', false);
    if (options === null || typeof options !== 'object')
      throw new SwimError('ERR_SWIM_INVALID_ARG', 'join(seeds, options): options must be an object');
    const timeout = checkSeconds(options.timeout ?? JOIN_TIMEOUT, 'join: timeout', 'ERR_SWIM_INVALID_ARG');
    const { signal } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal))
      throw new SwimError('ERR_SWIM_INVALID_ARG', 'join: signal must be an AbortSignal');
    if (signal?.aborted) throw abortError(signal);
    // Aborted by the caller's signal or by close(): the loop stops at its next step.
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#joins.add(ac);
    try {
      return await join(() => this.#live('join'), parsed, {
        timeoutMs: timeout * 1000,
        ackTimeoutMs: this.#handle.info().ackTimeout * 1000,
        signal: ac.signal,
      });
    } catch (err) {
      if (this.closed && (err as Error)?.name === 'AbortError' && !signal?.aborted) throw closedError('join');
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#joins.delete(ac);
    }
  }

  /** Sets this member's payload, MessagePack-encoded; null or undefined clears it. */
  setPayload(value: unknown): void {
    const handle = this.#live('setPayload');
    const bytes = value === null || value === undefined ? null : encodePayload(value);
    checkCommand('setPayload', handle.setPayload(bytes));
  }

  /** Sets this member's payload bytes as they are; null clears it. */
  setPayloadRaw(bytes: Uint8Array | null): void {
    const handle = this.#live('setPayloadRaw');
    if (bytes === null || bytes === undefined) {
      checkCommand('setPayloadRaw', handle.setPayload(null));
      return;
    }
    if (!(bytes instanceof Uint8Array))
      throw new SwimError('ERR_SWIM_INVALID_ARG', 'setPayloadRaw(bytes): expected a Buffer/Uint8Array or null');
    checkPayloadSize(bytes.length);
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    checkCommand('setPayloadRaw', handle.setPayload(buf));
  }

  /**
   * Changes the configuration at run time. A new `uri` is announced from now on; it also
   * moves the socket (bound first) unless the instance was given a `bind`. A new `bind`
   * moves the socket only.
   */
  configure(patch: SwimConfigPatch): void {
    const handle = this.#live('configure');
    const p = resolvePatch(
      patch === null || typeof patch !== 'object' ? patch : { ...patch, uri: undefined, bind: undefined },
      'configure',
      ['uri', 'bind', 'uuid', 'heartbeatRate', 'ackTimeout', 'gcMode', 'lifeguard'],
    );
    const followsUri = this.#bindFollowsUri && patch.bind === undefined;
    if (patch.uri !== undefined) {
      const a = resolveAddresses(patch.uri, patch.bind, 'configure: ', 'ERR_SWIM_CONFIG');
      p.uri = a.uri;
      if (a.bind !== undefined) p.bind = a.bind;
      else if (followsUri) p.bind = a.uri;
    } else if (patch.bind !== undefined) {
      p.bind = resolveAddresses(handle.info().uri, patch.bind, 'configure: ', 'ERR_SWIM_CONFIG').bind;
    }
    let result: string | undefined;
    try {
      result = handle.configure(p);
    } catch (err) {
      throw translateNativeError(err, `configure: cannot bind ${String(p.bind)}`);
    }
    checkCommand('configure', result);
    if (patch.bind !== undefined) this.#bindFollowsUri = false;
  }

  /**
   * Encrypts every datagram from now on (Tarantool's `swim:set_codec()`; docs/api.md).
   * `{ algo: 'none' }` turns encryption off. The keys are copied; the new codec replaces the old one between two datagrams, on the worker thread. For aes-gcm,
   * `keys: [primary, ...older]`: sealed with the primary, accepted under any — rotate by
   * adding the new key everywhere, then making it primary everywhere, then removing the old.
   * Throws `SwimError` `ERR_SWIM_CONFIG` (unknown algo or mode, wrong key length, empty or
   * oversized keyring), leaving the current codec in place.
   */
  setCodec(config: CodecConfig): void {
    const handle = this.#live('setCodec');
    const normalized = normalizeCodecConfig(config, 'setCodec');
    try {
      handle.setCodec(normalized);
    } catch (err) {
      throw codecError(err, 'setCodec');
    } finally {
      wipeCodecConfig(normalized);
    }
    this.#codec = codecName(normalized);
  }

  // --- events --------------------------------------------------------------------

  /**
   * Member events as an async iterator, from now on. Ends when the instance closes;
   * rejects with an AbortError when `signal` aborts. `ERR_SWIM_INVALID_ARG` when `options` is
   * not an object or `signal` not an AbortSignal (checked before anything is registered).
   */
  events(options?: { signal?: AbortSignal }): AsyncIterableIterator<MemberEvent> {
    this.#live('events');
    // Checked before any listener is registered: a bad argument leaves nothing behind.
    return memberEvents(this, eventsSignal(options));
  }

  // --- lifecycle -----------------------------------------------------------------

  /**
   * Tells every member that we leave (they see us as 'left'), then stops. Resolves once
   * the worker thread is gone.
   */
  quit(): Promise<void> {
    if (this.#closing === 'quit') return this.#terminated;
    if (this.#closing !== null || this.#state.load() !== State.RUNNING) return Promise.reject(closedError('quit'));
    const failed = this.#handle.quit();
    if (failed !== undefined) return Promise.reject(commandError('quit', failed));
    this.#beginClosing('quit');
    // The worker stops by itself once the quit packets are sent (it does the CAS).
    return this.#terminated;
  }

  /**
   * Stops at once, without notice: peers will find out by failure detection. Resolves
   * once the worker thread is gone. Idempotent; also cuts short a quit() in progress.
   */
  close(): Promise<void> {
    if (this.#closing !== 'close') {
      this.#beginClosing('close');
      if (this.#state.cas(State.RUNNING, State.STOPPING)) this.#handle.stop();
    }
    return this.#terminated;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Keep the process alive while this instance is open (the default). A ref'd open
   * instance is held like an active handle: it is not collected even when nothing
   * references it.
   */
  ref(): this {
    if (!this.#exited) {
      this.#handle.ref();
      if (this.#closing === null) hold(this);
    }
    return this;
  }

  /**
   * Let the process exit even though this instance is open. An unref'd instance that
   * nothing references is collected and stopped, with a SWIM_NATIVE_UNCLOSED warning.
   */
  unref(): this {
    // While closing, stay referenced so close()/quit() can resolve.
    if (!this.#exited && this.#closing === null) {
      this.#handle.unref();
      release(this);
    }
    return this;
  }

  #beginClosing(how: 'close' | 'quit'): void {
    this.#rememberIdentity();
    this.#stopBackground();
    this.#closing = how;
    untrack(this);
    release(this);
    // Wait for the exit notice even when unref'd: close() must be able to resolve.
    if (!this.#exited) this.#handle.ref();
  }

  #stopBackground(): void {
    this.#seeder?.stop();
    for (const ac of this.#joins) ac.abort();
  }

  #rememberIdentity(): void {
    if (this.#identity !== null) return;
    // The engine outlives its thread, so this read works even after the worker ended.
    const info = this.#handle.info();
    this.#identity = { uri: info.uri, uuid: info.uuid };
  }

  #live(op: string): NativeSwimHandle {
    if (this.#closing !== null || this.#state.load() !== State.RUNNING) throw closedError(op);
    return this.#handle;
  }

  /** @internal Notices from the worker (events, exit), on the JS thread. */
  [kDeliver](kind: string, arg: unknown): void {
    if (kind === 'events') {
      // Nothing reaches JS once close()/quit() was called or the worker has terminated
      // (a batch queued before a worker's own fatal end arrives after the word says so).
      if (this.#closing !== null || this.#exited || this.#state.load() === State.TERMINATED) return;
      const batch: MemberEvent[] | null = this.listenerCount('change') > 0 ? [] : null;
      for (const raw of arg as NativeMemberEvent[]) {
        if (this.#closing !== null || this.#state.load() === State.TERMINATED) return;  // a listener closed us mid-batch
        const ev = eventFromNative(raw);
        batch?.push(ev);
        try {
          diagnostics.publishMember(this, ev);
          this.emit('member', ev);
        } catch (err) {
          rethrowOutsideNative(err);
        }
      }
      if (batch !== null && batch.length > 0 && this.#closing === null) {
        try {
          this.emit('change', summarizeEvents(batch));
        } catch (err) {
          rethrowOutsideNative(err);
        }
      }
      return;
    }
    if (kind === 'conflict') {
      if (this.#closing !== null || this.#exited || this.#state.load() === State.TERMINATED) return;
      const c = arg as { uuid: string; uri: string };
      try {
        diagnostics.publishConflict(this, { uuid: c.uuid, uri: c.uri });
        this.emit('conflict', { uuid: c.uuid, uri: c.uri });
      } catch (err) {
        rethrowOutsideNative(err);
      }
      return;
    }
    if (kind === 'exit') {
      if (this.#exited) return;
      this.#rememberIdentity();
      this.#stopBackground();
      try {
        // The worker is gone but not yet freed: these are the final counters.
        this.#finalStats = this.#readStats();
      } catch {
        // left as they were last read
      }
      diagnostics.unwatch(this, this.#finalStats ?? undefined);
      this.#exited = true;
      const wasClosing = this.#closing !== null;
      if (this.#closing === null) {
        this.#closing = 'close';
        untrack(this);
      }
      release(this);
      const fatal = typeof arg === 'string' ? arg : undefined;
      try {
        if (fatal !== undefined && !wasClosing)
          this.emit('error', new SwimError('ERR_SWIM_NATIVE', `the SWIM worker failed: ${fatal}`, { reason: fatal }));
      } catch (err) {
        rethrowOutsideNative(err);
      }
      try {
        this.emit('close');
      } catch (err) {
        rethrowOutsideNative(err);
      }
    }
  }

  /** @internal For lifecycle tests: the native handle. */
  static _nativeHandle(swim: Swim): NativeSwimHandle {
    return swim.#handle;
  }
}

// Typed events.
export interface Swim {
  on<K extends keyof SwimEventMap>(event: K, listener: (...args: SwimEventMap[K]) => void): this;
  once<K extends keyof SwimEventMap>(event: K, listener: (...args: SwimEventMap[K]) => void): this;
  off<K extends keyof SwimEventMap>(event: K, listener: (...args: SwimEventMap[K]) => void): this;
  addListener<K extends keyof SwimEventMap>(event: K, listener: (...args: SwimEventMap[K]) => void): this;
  removeListener<K extends keyof SwimEventMap>(event: K, listener: (...args: SwimEventMap[K]) => void): this;
  emit<K extends keyof SwimEventMap>(event: K, ...args: SwimEventMap[K]): boolean;
}
