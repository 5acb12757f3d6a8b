// swim-native/sim: a deterministic simulator of SWIM clusters, for tests and benchmarks.
//
// Every node runs the real protocol core (native/core) on one virtual clock over a fake
// network. Everything runs synchronously on the calling thread: runUntil() returns when the
// condition holds or the virtual deadline passed, however many virtual seconds that is.
import { native } from './native';
import {
  EventMask,
  eventFromNative,
  memberFromNative,
  MemberEvent,
  type Member,
  type MemberStatus,
  type NativeMember,
  type NativeMemberEvent,
} from './member';
import type { EngineStats } from './swim';
import { checkKeys, checkSeconds, parseUri, parseUuid, resolvePatch, show, SIM_DEFAULTS, type PatchKey } from './config';
import { checkCommand, SwimError } from './errors';

export type { EngineStats, Member, MemberStatus };

/** Events and their mask bits: the same as the Swim API's. */
export { EventMask, MemberEvent };

export type GcMode = 'on' | 'off';
export type Direction = 'in' | 'out' | 'both';

export interface SimulationOptions {
  /** Number of nodes, numbered 1..nodes, node i at 127.0.0.1:i. */
  nodes: number;
  /** The only source of randomness. Default: a random seed (read it back from `sim.seed`). */
  seed?: number | bigint;
  /** Seconds between round steps; default as Swim's (DEFAULTS). */
  heartbeatRate?: number;
  /** Seconds to wait for an ack; default as Swim's (DEFAULTS). */
  ackTimeout?: number;
  gcMode?: GcMode;
  /** Proxies per indirect ping (k); default 2. */
  indirectPingCount?: number;
  /** Lifeguard (docs/protocol.md#lifeguard); default as Swim's (true). */
  lifeguard?: boolean;
  /** Bound on each node's member table (see the Swim option); default the engine's (4096). */
  maxMembers?: number;
  /** Generation every node starts with (restart() adds one). Default 0. */
  generation?: number | bigint;
  /** Configure each node with its URI and UUID (default true). false: call configure() yourself. */
  configure?: boolean;
  /**
   * Keep member events until events(i) drains them (default true). Set false for big
   * clusters that never read events: undrained events cost memory.
   */
  keepEvents?: boolean;
}

export interface NodeConfig {
  uri?: string;
  uuid?: string;
  heartbeatRate?: number;
  ackTimeout?: number;
  gcMode?: GcMode;
  indirectPingCount?: number;
  lifeguard?: boolean;
  /** Honoured by the first configuration only. */
  generation?: number | bigint;
}

/** A member given as its node number (1..N) or its UUID. */
export type MemberRef = number | string;

export type Condition =
  | { fullmesh: true }
  | {
      member: MemberRef;
      /** 'absent': not in the member table. */
      status?: MemberStatus | 'absent';
      incarnation?: { generation: number | bigint; version: number | bigint };
      /** null: no payload. */
      payload?: Uint8Array | string | null;
      /** Every running node but the member itself (the default). */
      everywhere?: true;
      /** Some running node other than the member itself. */
      anywhere?: true;
      /** This node's view only. */
      on?: number;
    }
  | (() => boolean);

/** Network counters (the engine's own protocol counters are in nodeStats(i).engine). */
export interface SimNetStats {
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  /** Lost on send: out-drop rate, cut link, partition. */
  droppedOut: number;
  /** Lost on delivery: in-drop rate. */
  droppedIn: number;
  /** Sent to an address no running node has. */
  undeliverable: number;
  /**
   * Times other nodes saw this node enter a status (member events with the status bit).
   * Counted only with `keepEvents: false`, where no transition is merged away.
   */
  seenSuspected: number;
  seenDead: number;
  seenAlive: number;
}

export interface SimStats extends SimNetStats {
  /** Per node, index 0 is node 1. */
  nodes: SimNetStats[];
}

export interface SimNodeStats extends SimNetStats {
  engine: EngineStats;
}

const STATUS_CODE: Record<MemberStatus | 'absent', number> = {
  alive: 0,
  suspected: 1,
  dead: 2,
  left: 3,
  absent: 4,
};

const NODE_KEYS: readonly PatchKey[] = [
  'uri', 'uuid', 'heartbeatRate', 'ackTimeout', 'gcMode', 'indirectPingCount', 'generation', 'lifeguard',
];
const BASE_KEYS: readonly PatchKey[] = [...NODE_KEYS.filter((k) => k !== 'uri' && k !== 'uuid'), 'maxMembers'];
const OPTION_KEYS = ['nodes', 'seed', 'configure', 'keepEvents', ...BASE_KEYS];

function invalid(message: string): SwimError {
  return new SwimError('ERR_SWIM_INVALID_ARG', message);
}

function micros(seconds: number, what: string): number {
  return Math.round(checkSeconds(seconds, what, 'ERR_SWIM_INVALID_ARG', true) * 1e6);
}

function bytes(p: Uint8Array | string): Uint8Array {
  return typeof p === 'string' ? Buffer.from(p) : p;
}

function optionalBoolean(v: unknown, what: string): boolean | undefined {
  if (v !== undefined && typeof v !== 'boolean')
    throw new SwimError('ERR_SWIM_CONFIG', `Simulation: ${what} must be a boolean, got ${show(v)}`);
  return v;
}

/**
 * A simulated cluster. Nodes are numbered 1..N; node i listens on 127.0.0.1:i with UUID
 * 00000000-0000-1000-8000-<i as 12 hex digits>. Same seed and same calls: same run.
 */
export class Simulation {
  /** The seed this run was made from: print it to replay a failure. */
  readonly seed: bigint;
  /** Number of nodes. */
  readonly size: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly #native: any;

  constructor(options: SimulationOptions) {
    if (options === null || typeof options !== 'object') throw invalid('Simulation options must be an object');
    checkKeys(options, OPTION_KEYS, 'Simulation');
    const { nodes, seed: _seed, configure, keepEvents, ...config } = options;
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 65535) {
      throw invalid(`nodes must be an integer in [1, 65535], got ${String(nodes)}`);
    }
    let seed: bigint;
    if (options.seed === undefined) {
      seed = BigInt(Math.floor(Math.random() * 2 ** 32)) * 2n ** 21n + BigInt(Math.floor(Math.random() * 2 ** 21));
    } else if (typeof options.seed === 'bigint' || Number.isSafeInteger(options.seed)) {
      seed = BigInt(options.seed);
    } else {
      throw invalid(`seed must be a safe integer or a bigint, got ${String(options.seed)}`);
    }
    if (seed < 0n || seed >= 2n ** 64n) throw invalid('seed must be in [0, 2^64)');
    const base = { ...SIM_DEFAULTS, ...resolvePatch(config, 'Simulation', BASE_KEYS, false) };
    this.seed = seed;
    this.size = nodes;
    this.#native = new native.Simulation({
      ...base,
      nodes,
      seed,
      configure: optionalBoolean(configure, 'configure'),
      keepEvents: optionalBoolean(keepEvents, 'keepEvents'),
    });
  }

  #node(i: number, what = 'node'): number {
    if (!Number.isInteger(i) || i < 1 || i > this.size) {
      throw invalid(`${what} must be a node number in [1, ${this.size}], got ${String(i)}`);
    }
    return i;
  }

  #uuidOf(ref: MemberRef): string {
    if (typeof ref === 'number') return this.#native.uuid(this.#node(ref, 'member'));
    return parseUuid(ref, 'member (a node number or a UUID)', 'ERR_SWIM_INVALID_ARG');
  }

  #nodeOfUuid(uuid: string): number {
    for (let i = 1; i <= this.size; ++i) if (this.#native.uuid(i) === uuid) return i;
    return 0;
  }

  /** Virtual time in seconds since the simulation started. */
  get now(): number {
    return this.#native.now() / 1e6;
  }

  /** Virtual time in microseconds. */
  get nowMicros(): number {
    return this.#native.now();
  }

  uuid(i: number): string {
    return this.#native.uuid(this.#node(i));
  }

  uri(i: number): string {
    return this.#native.uri(this.#node(i));
  }

  /** The generation node i runs with (restart() adds one). */
  generation(i: number): bigint {
    return this.#native.generation(this.#node(i));
  }

  /** false once the node was killed or quit (until restart). */
  running(i: number): boolean {
    return this.#native.running(this.#node(i));
  }

  /** Reconfigures node i (a URI or UUID change, timers, gc). Throws SwimError. */
  configure(i: number, config: NodeConfig): void {
    this.#node(i);
    checkCommand('configure', this.#native.configure(i, resolvePatch(config, 'configure', NODE_KEYS, false)));
  }

  /** Node i learns a member: node j (its URI and UUID), or an explicit { uri, uuid }. */
  addMember(i: number, member: number | { uri: string; uuid: string }): void {
    this.#node(i);
    if (typeof member === 'number') {
      checkCommand('addMember', this.#native.addMember(i, this.#node(member, 'member')));
    } else {
      if (member === null || typeof member !== 'object') throw invalid('addMember: member must be a node or { uri, uuid }');
      const uri = parseUri(member.uri, 'addMember: uri', 'ERR_SWIM_INVALID_ARG', false);
      const uuid = parseUuid(member.uuid, 'addMember: uuid', 'ERR_SWIM_INVALID_ARG');
      checkCommand('addMember', this.#native.addMemberUri(i, uri, uuid));
    }
  }

  /** i and j learn each other. */
  interconnect(i: number, j: number): void {
    this.addMember(i, j);
    this.addMember(j, i);
  }

  removeMember(i: number, member: MemberRef): void {
    checkCommand('removeMember', this.#native.removeMember(this.#node(i), this.#uuidOf(member)));
  }

  /** Node i pings a URI (node j's when given a number); the target is added if it answers. */
  probe(i: number, target: number | string): void {
    const uri = typeof target === 'number' ? this.uri(target) : parseUri(target, 'probe', 'ERR_SWIM_INVALID_ARG', false);
    checkCommand('probe', this.#native.probe(this.#node(i), uri));
  }

  /**
   * Node i's seeds (as Swim's `seeds` option, without DNS: node numbers or 'a.b.c.d:port'):
   * probed at once, then by the healing rule (docs/protocol.md#healing).
   */
  setSeeds(i: number, seeds: Array<number | string>): void {
    if (!Array.isArray(seeds)) throw invalid('setSeeds: expected an array of nodes or URIs');
    const uris = seeds.map((t) => (typeof t === 'number' ? this.uri(t) : parseUri(t, 'setSeeds', 'ERR_SWIM_INVALID_ARG', false)));
    checkCommand('setSeeds', this.#native.setSeeds(this.#node(i), uris));
  }

  /**
   * Node i broadcasts a ping on `port`. Simulated hosts differ by port, so a broadcast on
   * port p reaches every running node whose URI port is p (node p, unless URIs were
   * changed). Without a port (0) the engine uses its own port, which in the simulator
   * stands for "the port every host uses": it reaches every running node.
   */
  broadcast(i: number, port = 0): void {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(`broadcast: bad port ${String(port)}`);
    checkCommand('broadcast', this.#native.broadcast(this.#node(i), port));
  }

  /** Sets (or with null clears) node i's payload; strings are UTF-8. */
  setPayload(i: number, payload: Uint8Array | string | null): void {
    this.#node(i);
    if (payload !== null && typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
      throw invalid('setPayload: payload must be a Uint8Array, a string or null');
    }
    checkCommand('setPayload', this.#native.setPayload(i, payload === null ? null : bytes(payload)));
  }

  /** Node i quits: its quit packets are sent (even if blocked), then it stops. */
  quit(i: number): void {
    checkCommand('quit', this.#native.quit(this.#node(i)));
  }

  /** Node i stops silently (a crash). Its last view stays readable. */
  kill(i: number): void {
    this.#native.kill(this.#node(i));
  }

  /**
   * A fresh engine for node i: same URI, UUID and configuration, generation + 1, an empty
   * member table. With `seed`, it learns that node at once.
   */
  restart(i: number, options: { seed?: number } = {}): void {
    this.#node(i);
    const seed = options.seed === undefined ? undefined : this.#node(options.seed, 'seed');
    checkCommand('restart', this.#native.restart(i, seed));
  }

  /** Drains node i's pending member events (merged per member). */
  events(i: number): MemberEvent[] {
    return (this.#native.events(this.#node(i)) as NativeMemberEvent[]).map(eventFromNative);
  }

  /** Drop probability in [0, 1] of node i's packets: incoming, outgoing or both. */
  setDrop(i: number, rate: number, direction: Direction = 'both'): void {
    this.#node(i);
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw invalid(`setDrop: rate must be in [0, 1], got ${rate}`);
    if (direction !== 'in' && direction !== 'out' && direction !== 'both') {
      throw invalid(`setDrop: direction must be 'in', 'out' or 'both'`);
    }
    this.#native.setDrop(i, rate, direction);
  }

  /**
   * Delivery delay, in seconds, of packets sent by `node` (or by every node without its own
   * setting, when node is omitted): fixed + uniform random in [0, jitter].
   */
  setDelay(fixed: number, jitter = 0, node?: number): void {
    const i = node === undefined ? 0 : this.#node(node);
    this.#native.setDelay(i, micros(fixed, 'setDelay: fixed'), micros(jitter, 'setDelay: jitter'));
  }

  /**
   * How late, in seconds, every node's timers fire after their deadline: fixed + uniform
   * random in [0, jitter] (default 0: exactly on time). A real event loop's timers fire a
   * millisecond or so late; rules that compare times across a timer (Lifeguard's "did
   * anyone answer us lately") must hold then too.
   */
  setTimerLateness(fixed: number, jitter = 0): void {
    this.#native.setTimerLateness(micros(fixed, 'setTimerLateness: fixed'), micros(jitter, 'setTimerLateness: jitter'));
  }

  /** Freezes node i's I/O (timers still run): packets to and from it are held until unblock. */
  block(i: number): void {
    this.#native.block(this.#node(i));
  }

  unblock(i: number): void {
    this.#native.unblock(this.#node(i));
  }

  /** Packets between i and j are lost, both ways. */
  cut(i: number, j: number): void {
    this.#native.cut(this.#node(i), this.#node(j));
  }

  uncut(i: number, j: number): void {
    this.#native.uncut(this.#node(i), this.#node(j));
  }

  /** Every link between a node of `a` and a node of `b` is cut. */
  partition(a: number[], b: number[]): void {
    if (!Array.isArray(a) || !Array.isArray(b)) throw invalid('partition: expected two arrays of nodes');
    for (const i of [...a, ...b]) this.#node(i);
    this.#native.partition(a, b);
  }

  /** Removes every cut and partition (drop rates and blocks stay). */
  heal(): void {
    this.#native.heal();
  }

  /** Processes every event of the next pending instant. false when nothing is pending. */
  step(): boolean {
    return this.#native.step();
  }

  /** Virtual time (seconds) of the next pending event, or null. */
  nextEventTime(): number | null {
    const t = this.#native.nextEventTime();
    return t < 0 ? null : t / 1e6;
  }

  /** Runs `seconds` of virtual time. */
  run(seconds: number): void {
    this.#native.runUntil({ kind: 'never' }, micros(seconds, 'run: seconds'));
  }

  /**
   * Runs until the condition holds (checked at each virtual instant, after the events of that
   * instant) or `timeout` virtual seconds have passed. Returns the virtual seconds taken, or -1.
   */
  runUntil(condition: Condition, timeout: number): number {
    const taken: number = this.#native.runUntil(this.#condition(condition), micros(timeout, 'runUntil: timeout'));
    return taken < 0 ? -1 : taken / 1e6;
  }

  /** Whether the condition holds now. */
  check(condition: Condition): boolean {
    return this.#native.check(this.#condition(condition));
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  #condition(c: Condition): any {
    if (typeof c === 'function') return c;
    if (c === null || typeof c !== 'object') throw invalid('condition must be an object or a function');
    if ('fullmesh' in c) return { kind: 'fullmesh' };
    if (!('member' in c)) throw invalid('condition needs fullmesh or member');
    const uuid = this.#uuidOf(c.member);
    const memberNode = typeof c.member === 'number' ? c.member : this.#nodeOfUuid(uuid);
    const out: Record<string, unknown> = { kind: 'member', uuid, memberNode, where: 'everywhere' };
    const scopes = [c.everywhere, c.anywhere, c.on].filter((v) => v !== undefined).length;
    if (scopes > 1) throw invalid('condition: give at most one of everywhere, anywhere, on');
    if (c.anywhere) out.where = 'anywhere';
    if (c.on !== undefined) {
      out.where = 'on';
      out.on = this.#node(c.on, 'on');
    }
    if (c.status !== undefined) {
      if (!(c.status in STATUS_CODE)) throw invalid(`condition: unknown status ${String(c.status)}`);
      out.status = STATUS_CODE[c.status];
    }
    if (c.incarnation !== undefined) {
      out.generation = BigInt(c.incarnation.generation);
      out.version = BigInt(c.incarnation.version);
    }
    if (c.payload !== undefined) out.payload = c.payload === null ? null : bytes(c.payload);
    return out;
  }

  /** Node i's member table (self included), sorted by UUID. */
  view(i: number): Member[] {
    return (this.#native.view(this.#node(i)) as NativeMember[]).map(memberFromNative);
  }

  /** A member of node i's table by node number or UUID, or null. */
  member(i: number, member: MemberRef): Member | null {
    const raw = this.#native.member(this.#node(i), this.#uuidOf(member)) as NativeMember | null;
    return raw === null ? null : memberFromNative(raw);
  }

  /** Status of a member in node i's table, 'absent' when not there. */
  status(i: number, member: MemberRef): MemberStatus | 'absent' {
    return this.member(i, member)?.status ?? 'absent';
  }

  /** Node i's own record. */
  self(i: number): Member {
    return memberFromNative(this.#native.self(this.#node(i)));
  }

  /** Network counters: totals and per node. */
  stats(): SimStats {
    return this.#native.stats();
  }

  /** Network counters of node i plus its engine's protocol counters. */
  nodeStats(i: number): SimNodeStats {
    return this.#native.nodeStats(this.#node(i));
  }
}

export { SwimError } from './errors';
