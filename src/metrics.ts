// The metrics of a Swim: their one home. The agent's GET /metrics renders them as
// Prometheus text (renderMetrics), and registerSwimMetrics (src/prometheus.ts) registers the
// same definitions in a prom-client registry. Values come from stats(), members() and
// config at scrape time; nothing is counted twice.
import type { MemberStatus } from './member';
import type { Swim, SwimStats } from './swim';

export type Labels = Record<string, string>;

/** What one scrape reads from a Swim. */
export interface MetricsSnapshot {
  /** The counters (still readable after close: the final ones). */
  stats: SwimStats;
  /** Members by status, self included; all 0 once closed. */
  members: Record<MemberStatus, number>;
  /** 1 while the instance runs, 0 once closed. */
  up: number;
  heartbeatRate: number | undefined;
  ackTimeout: number | undefined;
}

export interface MetricDefinition {
  /** Without the prefix (default 'swim_'). */
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labelNames: readonly string[];
  samples(s: MetricsSnapshot): Array<[Labels, number]>;
}

const STATUSES: readonly MemberStatus[] = ['alive', 'suspected', 'dead', 'left'];

const one = (v: number | undefined): Array<[Labels, number]> => (v === undefined ? [] : [[{}, v]]);
const byReason = (r: Record<string, number>): Array<[Labels, number]> =>
  Object.keys(r)
    .sort()
    .map((reason) => [{ reason }, r[reason]] as [Labels, number]);
const sentReceived = (sent: number, received: number): Array<[Labels, number]> => [
  [{ direction: 'sent' }, sent],
  [{ direction: 'received' }, received],
];

/** Every metric, in the order /metrics lists them. */
export const METRIC_DEFINITIONS: readonly MetricDefinition[] = Object.freeze([
  { name: 'up', help: '1 while the SWIM instance runs, 0 once it is closed.', type: 'gauge', labelNames: [], samples: (s) => one(s.up) },
  {
    name: 'members',
    help: 'Members in the table by status, self included.',
    type: 'gauge',
    labelNames: ['status'],
    samples: (s) => STATUSES.map((status) => [{ status }, s.members[status]] as [Labels, number]),
  },
  {
    name: 'packets_total',
    help: 'Datagrams sent, and received that reached the protocol.',
    type: 'counter',
    labelNames: ['direction'],
    samples: (s) => sentReceived(s.stats.packetsSent, s.stats.packetsReceived),
  },
  {
    name: 'bytes_total',
    help: 'Bytes of the datagrams sent and received.',
    type: 'counter',
    labelNames: ['direction'],
    samples: (s) => sentReceived(s.stats.bytesSent, s.stats.bytesReceived),
  },
  {
    name: 'packets_dropped_total',
    help: 'Received datagrams the protocol dropped, by reason (decoder reasons, wrong_destination, self_source).',
    type: 'counter',
    labelNames: ['reason'],
    samples: (s) => byReason(s.stats.drops),
  },
  {
    name: 'cipher_drops_total',
    help: 'Received datagrams the codec rejected, by reason.',
    type: 'counter',
    labelNames: ['reason'],
    samples: (s) => byReason(s.stats.cipherDrops),
  },
  { name: 'seal_errors_total', help: 'Outgoing datagrams that could not be encrypted (not sent).', type: 'counter', labelNames: [], samples: (s) => one(s.stats.sealErrors) },
  {
    name: 'pings_total',
    help: 'Pings sent and received (failure detection).',
    type: 'counter',
    labelNames: ['direction'],
    samples: (s) => sentReceived(s.stats.pingsSent, s.stats.pingsReceived),
  },
  {
    name: 'acks_total',
    help: 'Acks sent and received (failure detection).',
    type: 'counter',
    labelNames: ['direction'],
    samples: (s) => sentReceived(s.stats.acksSent, s.stats.acksReceived),
  },
  { name: 'indirect_pings_sent_total', help: 'Indirect pings this member asked proxies to forward.', type: 'counter', labelNames: [], samples: (s) => one(s.stats.indirectPingsSent) },
  { name: 'indirect_pings_forwarded_total', help: 'Indirect pings this member relayed as a proxy.', type: 'counter', labelNames: [], samples: (s) => one(s.stats.indirectPingsForwarded) },
  { name: 'ack_timeouts_total', help: 'Pings that went unanswered for ackTimeout.', type: 'counter', labelNames: [], samples: (s) => one(s.stats.ackTimeouts) },
  { name: 'suspicions_total', help: 'Members this member\'s failure detection declared suspected.', type: 'counter', labelNames: [], samples: (s) => one(s.stats.suspicions) },
  { name: 'deaths_total', help: 'Members this member\'s failure detection declared dead.', type: 'counter', labelNames: [], samples: (s) => one(s.stats.deaths) },
  { name: 'refutations_total', help: 'Rumours of this member\'s suspicion, death or quit that it refuted.', type: 'counter', labelNames: [], samples: (s) => one(s.stats.refutations) },
  { name: 'heal_probes_total', help: 'Pings to seeds and to the addresses of members removed after they died.', type: 'counter', labelNames: [], samples: (s) => one(s.stats.healProbes) },
  { name: 'conflicts_total', help: 'Packets or gossip of another claimant of this member\'s UUID.', type: 'counter', labelNames: [], samples: (s) => one(s.stats.conflicts) },
  { name: 'send_errors_total', help: 'Sends the socket refused.', type: 'counter', labelNames: [], samples: (s) => one(s.stats.sendErrors) },
  { name: 'send_queued_total', help: 'Sends that waited for socket buffer space.', type: 'counter', labelNames: [], samples: (s) => one(s.stats.sendQueued) },
  { name: 'receive_errors_total', help: 'Receive errors of the socket.', type: 'counter', labelNames: [], samples: (s) => one(s.stats.receiveErrors) },
  { name: 'pending_events', help: 'Member events waiting for the JavaScript thread (merged per member).', type: 'gauge', labelNames: [], samples: (s) => one(s.stats.pendingEvents) },
  { name: 'local_health', help: "Lifeguard's local health score: 0 (healthy) to 8; probe timeouts and the round interval stretch by (score + 1).", type: 'gauge', labelNames: [], samples: (s) => one(s.stats.awareness) },
  { name: 'broadcast_targets', help: 'Broadcast addresses the last broadcast() went to.', type: 'gauge', labelNames: [], samples: (s) => one(s.stats.broadcastTargets) },
  { name: 'seed_addresses', help: 'Addresses the seeds option resolved to.', type: 'gauge', labelNames: [], samples: (s) => one(s.stats.seedAddresses) },
  { name: 'seeds_unresolved', help: 'Seeds whose name does not resolve.', type: 'gauge', labelNames: [], samples: (s) => one(s.stats.seedsUnresolved) },
  { name: 'heartbeat_seconds', help: 'The heartbeat rate in effect.', type: 'gauge', labelNames: [], samples: (s) => one(s.heartbeatRate) },
  { name: 'ack_timeout_seconds', help: 'The ack timeout in effect.', type: 'gauge', labelNames: [], samples: (s) => one(s.ackTimeout) },
] satisfies MetricDefinition[]);

/** Reads what the metrics need from `swim` (also after close: counters only). */
export function snapshot(swim: Swim): MetricsSnapshot {
  const members: Record<MemberStatus, number> = { alive: 0, suspected: 0, dead: 0, left: 0 };
  let up = 0;
  let heartbeatRate: number | undefined;
  let ackTimeout: number | undefined;
  if (!swim.closed) {
    try {
      for (const m of swim.members()) members[m.status]++;
      const c = swim.config;
      heartbeatRate = c.heartbeatRate;
      ackTimeout = c.ackTimeout;
      up = 1;
    } catch {
      // closed meanwhile
    }
  }
  return { stats: swim.stats(), members, up, heartbeatRate, ackTimeout };
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * The Prometheus text exposition format 0.0.4 of `s` (content type
 * `text/plain; version=0.0.4; charset=utf-8`), every metric named `prefix + name`.
 */
export function formatMetrics(s: MetricsSnapshot, options: { prefix?: string; labels?: Labels } = {}): string {
  const prefix = options.prefix ?? 'swim_';
  const constant = options.labels ?? {};
  const out: string[] = [];
  for (const def of METRIC_DEFINITIONS) {
    const name = prefix + def.name;
    out.push(`# HELP ${name} ${escapeHelp(def.help)}`, `# TYPE ${name} ${def.type}`);
    for (const [labels, value] of def.samples(s)) {
      const all = { ...constant, ...labels };
      const keys = Object.keys(all);
      const l = keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(all[k])}"`).join(',')}}`;
      out.push(`${name}${l} ${formatValue(value)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** The content type of formatMetrics' output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A Swim's metrics in the Prometheus text format 0.0.4 (what the agent's /metrics serves). */
export function renderMetrics(swim: Swim, options: { prefix?: string; labels?: Labels } = {}): string {
  return formatMetrics(snapshot(swim), options);
}
