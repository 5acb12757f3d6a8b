// Logging the Node way: diagnostics_channel channels that every Swim publishes to (only
// while someone subscribes), and NODE_DEBUG=swim-native, which prints them (util.debuglog).
//
// Member events and conflicts are published as they are delivered. Drops and cipher
// failures are not reported per datagram by the native worker (that would cost a thread
// hop per bad packet); they are published from the deltas of stats(), read once per
// DIAGNOSTICS_INTERVAL_MS while the channel has subscribers (docs/operations.md); with none,
// no timer runs.
import diagnosticsChannel from 'node:diagnostics_channel';
import { debuglog } from 'node:util';
import type { MemberEvent } from './member';
import type { Swim, SwimStats } from './swim';

/** `{ swim, event: MemberEvent }` for every delivered member event. */
export const memberChannel = diagnosticsChannel.channel('swim-native:member');
/** `{ swim, reason, count }`: received datagrams the protocol dropped since the last report. */
export const dropChannel = diagnosticsChannel.channel('swim-native:drop');
/** `{ swim, claimant: { uuid, uri } }`: another process claims our UUID. */
export const conflictChannel = diagnosticsChannel.channel('swim-native:conflict');
/** `{ swim, reason, count }`: datagrams the codec rejected (or failed to seal: 'seal_error'). */
export const cipherChannel = diagnosticsChannel.channel('swim-native:cipher');

/** How often stats are read for the drop and cipher channels (while subscribed). */
export const DIAGNOSTICS_INTERVAL_MS = 1000;

export interface MemberMessage {
  swim: Swim;
  event: MemberEvent;
}
export interface CountMessage {
  swim: Swim;
  reason: string;
  count: number;
}
export interface ConflictMessage {
  swim: Swim;
  claimant: { uuid: string; uri: string };
}

/** @internal Called by Swim for each delivered event. */
export function publishMember(swim: Swim, event: MemberEvent): void {
  if (memberChannel.hasSubscribers) memberChannel.publish({ swim, event } satisfies MemberMessage);
}

/** @internal Called by Swim for each delivered conflict. */
export function publishConflict(swim: Swim, claimant: { uuid: string; uri: string }): void {
  if (conflictChannel.hasSubscribers) conflictChannel.publish({ swim, claimant } satisfies ConflictMessage);
}

// --- drops and cipher failures, from stats deltas ----------------------------------------

interface Baseline {
  drops: Record<string, number>;
  cipher: Record<string, number>;
}

// Weakly: watching must never keep a forgotten Swim alive.
const watched = new Set<WeakRef<Swim>>();
const refs = new WeakMap<Swim, WeakRef<Swim>>();
const baselines = new WeakMap<Swim, Baseline>();
let timer: NodeJS.Timeout | null = null;

function counts(s: SwimStats): Baseline {
  const cipher: Record<string, number> = { ...s.cipherDrops };
  cipher.seal_error = s.sealErrors;
  return { drops: { ...s.drops }, cipher };
}

function publishDeltas(swim: Swim, stats: SwimStats): void {
  const now = counts(stats);
  const before = baselines.get(swim);
  baselines.set(swim, now);
  if (before === undefined) return;
  for (const [channel, key] of [
    [dropChannel, 'drops'],
    [cipherChannel, 'cipher'],
  ] as const) {
    if (!channel.hasSubscribers) continue;
    for (const [reason, n] of Object.entries(now[key])) {
      const count = n - (before[key][reason] ?? 0);
      if (count > 0) channel.publish({ swim, reason, count } satisfies CountMessage);
    }
  }
}

const subscribed = (): boolean => dropChannel.hasSubscribers || cipherChannel.hasSubscribers;

// The timer runs only while a Swim is open and the drop or cipher channel has a subscriber:
// an idle process must not wake its JavaScript thread every second for nothing.
function startTimer(): void {
  if (timer !== null || watched.size === 0 || !subscribed()) return;
  timer = setInterval(tick, DIAGNOSTICS_INTERVAL_MS);
  timer.unref();
}

// diagnostics_channel tells nobody about a new subscriber, so the two channels are hooked:
// both diagnosticsChannel.subscribe(name, fn) and channel.subscribe(fn) call the channel's
// own subscribe method.
for (const channel of [dropChannel, cipherChannel]) {
  Object.defineProperty(channel, 'subscribe', {
    configurable: true,
    writable: true,
    value(onMessage: (message: unknown, name: string | symbol) => void): void {
      (Object.getPrototypeOf(channel) as typeof channel).subscribe.call(channel, onMessage);
      startTimer();
    },
  });
}

function tick(): void {
  const active = subscribed();
  for (const ref of watched) {
    const swim = ref.deref();
    if (swim === undefined || swim.closed) {
      watched.delete(ref);
      continue;
    }
    if (!active) {
      baselines.delete(swim);  // counted from the next subscription on
      continue;
    }
    try {
      publishDeltas(swim, swim.stats());
    } catch {
      watched.delete(ref);
    }
  }
  if ((watched.size === 0 || !active) && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}

/** @internal A new Swim: watched for drops and cipher failures until it closes. */
export function watch(swim: Swim): void {
  const ref = new WeakRef(swim);
  refs.set(swim, ref);
  watched.add(ref);
  startTimer();
}

/** @internal The Swim closes: its last deltas (final counters) are published, then it is forgotten. */
export function unwatch(swim: Swim, finalStats?: SwimStats): void {
  const ref = refs.get(swim);
  if (ref === undefined) return;
  refs.delete(swim);
  watched.delete(ref);
  if (finalStats !== undefined && (dropChannel.hasSubscribers || cipherChannel.hasSubscribers) && baselines.has(swim))
    publishDeltas(swim, finalStats);
  baselines.delete(swim);
}

// --- NODE_DEBUG=swim-native ---------------------------------------------------------------

const debug = debuglog('swim-native');

function who(swim: Swim): string {
  try {
    return swim.uri;
  } catch {
    return '?';
  }
}

/** A one-line description of a member event: 'new', 'status', 'payload', ... */
export function describeEvent(ev: MemberEvent): string {
  const what: string[] = [];
  if (ev.isNew) what.push('new');
  if (ev.isDrop) what.push('drop');
  if (ev.isNewStatus) what.push('status');
  if (ev.isNewUri) what.push('uri');
  if (ev.isNewIncarnation) what.push('incarnation');
  if (ev.isNewPayload) what.push('payload');
  const m = ev.member;
  return `${m.uuid} ${m.uri} ${m.status}${m.isSelf ? ' (self)' : ''} [${what.join(',')}]`;
}

if (debug.enabled) {
  diagnosticsChannel.subscribe('swim-native:member', (msg) => {
    const { swim, event } = msg as MemberMessage;
    debug('%s member %s', who(swim), describeEvent(event));
  });
  diagnosticsChannel.subscribe('swim-native:conflict', (msg) => {
    const { swim, claimant } = msg as ConflictMessage;
    debug('%s conflict: %s is claimed by %s', who(swim), claimant.uuid, claimant.uri);
  });
  diagnosticsChannel.subscribe('swim-native:drop', (msg) => {
    const { swim, reason, count } = msg as CountMessage;
    debug('%s drop %s x%d', who(swim), reason, count);
  });
  diagnosticsChannel.subscribe('swim-native:cipher', (msg) => {
    const { swim, reason, count } = msg as CountMessage;
    debug('%s cipher %s x%d', who(swim), reason, count);
  });
}
