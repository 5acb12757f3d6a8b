// Metrics: the Prometheus text of renderMetrics (the agent's /metrics) and the prom-client
// adapter register the same definitions; the engine's suspicion/death counters; the agent's
// GET /metrics.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { METRIC_DEFINITIONS, registerSwimMetrics, renderMetrics, Swim, type PromClientModule } from '../src/index';
import { getJson, startAgent } from './helpers/agent';
import { membersForFile } from './helpers/members';
import { waitFor } from './helpers/wait';

const promClient = createRequire(__filename)('prom-client') as PromClientModule & {
  Registry: new () => { metrics(): Promise<string>; getMetricsAsJSON(): Promise<Array<{ name: string }>> } & PromClientModule['register'];
};
const { member, cleanup } = membersForFile();

// name{labels} -> value, from Prometheus text; checks every line's syntax.
function parseText(text: string): { samples: Map<string, number>; types: Map<string, string> } {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.trimEnd().split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const t = /^# TYPE (\w+) (counter|gauge)$/.exec(line);
    if (t) {
      types.set(t[1], t[2]);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/.exec(line);
    expect(m, `a valid sample line: ${line}`).not.toBeNull();
    const labels = (m as RegExpExecArray)[2] ?? '';
    // prom-client writes labels in its own order: normalise.
    const norm = labels === '' ? '' : `{${labels.slice(1, -1).split(',').filter(Boolean).sort().join(',')}}`;
    samples.set(`${(m as RegExpExecArray)[1]}${norm}`, Number((m as RegExpExecArray)[3]));
  }
  return { samples, types };
}

async function cluster(n: number): Promise<Swim[]> {
  const first = member();
  const all = [first];
  for (let i = 1; i < n; i++) all.push(member({ seeds: [first.uri] }));
  await waitFor(() => all.every((s) => s.size === n && s.members().every((m) => m.status === 'alive')), 15_000, {
    what: `${n} members meshed`,
  });
  return all;
}

describe('metrics', () => {
  it('renders Prometheus text 0.0.4: members by status, packets, bytes, drops by reason, pings, acks, ...', async () => {
    const [a] = await cluster(3);
    await waitFor(() => a.stats().acksReceived > 0, 10_000);
    const { samples, types } = parseText(renderMetrics(a));
    expect(samples.get('swim_members{status="alive"}')).toBe(3);
    expect(samples.get('swim_members{status="dead"}')).toBe(0);
    expect(samples.get('swim_up')).toBe(1);
    expect(samples.get('swim_packets_total{direction="sent"}')).toBeGreaterThan(0);
    expect(samples.get('swim_bytes_total{direction="received"}')).toBeGreaterThan(0);
    expect(samples.get('swim_pings_total{direction="sent"}')).toBeGreaterThan(0);
    expect(samples.get('swim_acks_total{direction="received"}')).toBeGreaterThan(0);
    expect(samples.get('swim_packets_dropped_total{reason="truncated"}')).toBe(0);
    expect(samples.get('swim_packets_dropped_total{reason="wrong_destination"}')).toBe(0);
    expect(samples.get('swim_cipher_drops_total{reason="auth_failed"}')).toBe(0);
    for (const n of ['indirect_pings_sent_total', 'suspicions_total', 'deaths_total', 'refutations_total', 'ack_timeouts_total', 'pending_events'])
      expect(samples.has(`swim_${n}`), n).toBe(true);
    expect(samples.get('swim_heartbeat_seconds')).toBe(0.2);
    // Lifeguard's local health: a member that reaches everyone has no reason to doubt itself.
    expect(samples.get('swim_local_health')).toBe(0);
    // Every definition has a TYPE line, and its type.
    for (const d of METRIC_DEFINITIONS) expect(types.get(`swim_${d.name}`)).toBe(d.type);
    // Counters end in _total, gauges do not.
    for (const d of METRIC_DEFINITIONS) expect(d.name.endsWith('_total')).toBe(d.type === 'counter');
  });

  it('prom-client: registers the same metrics (names, types, labels, values) as renderMetrics', async () => {
    const [a] = await cluster(2);
    const registry = new promClient.Registry();
    const unregister = registerSwimMetrics(a, { registry, client: promClient });
    const fromProm = parseText(await registry.metrics());
    const ours = parseText(renderMetrics(a));
    expect([...fromProm.types]).toEqual([...ours.types]);
    expect([...fromProm.samples.keys()].sort()).toEqual([...ours.samples.keys()].sort());
    // Gauges that do not move between the two reads are equal; counters never go back.
    expect(fromProm.samples.get('swim_members{status="alive"}')).toBe(2);
    for (const [k, v] of fromProm.samples) expect(ours.samples.get(k) as number, k).toBeGreaterThanOrEqual(v);
    // Constant labels and a prefix, in a second registry.
    const r2 = new promClient.Registry();
    registerSwimMetrics(a, { registry: r2, client: promClient, prefix: 'app_swim_', labels: { cluster: 'eu' } });
    expect(await r2.metrics()).toMatch(/^app_swim_members\{cluster="eu",status="alive"\} 2$/m);
    // The default client is require('prom-client').
    const r3 = new promClient.Registry();
    registerSwimMetrics(a, { registry: r3 });
    expect(await r3.metrics()).toMatch(/^swim_up 1$/m);
    unregister();
    expect(await registry.getMetricsAsJSON()).toHaveLength(0);
  });

  it('counts suspicions and deaths; stats() and the metrics stay readable after close (final counters)', async () => {
    const [a, b] = await cluster(2);
    await b.close();
    await waitFor(() => a.member(b.uuid)?.status === 'dead', 15_000, { what: 'b dead for a' });
    const s = a.stats();
    expect(s.suspicions).toBeGreaterThanOrEqual(1);
    expect(s.deaths).toBeGreaterThanOrEqual(1);
    expect(s.refutations).toBe(0);
    await a.quit();
    const final = a.stats();
    expect(final.pingsSent).toBeGreaterThanOrEqual(s.pingsSent);
    expect(final.deaths).toBe(s.deaths);
    // Nothing moves any more.
    expect(a.stats()).toEqual(final);
    const { samples } = parseText(renderMetrics(a));
    expect(samples.get('swim_up')).toBe(0);
    expect(samples.get('swim_members{status="alive"}')).toBe(0);
    expect(samples.get('swim_pings_total{direction="sent"}')).toBe(final.pingsSent);
    expect(samples.get('swim_deaths_total')).toBe(final.deaths);
  });

  it('the agent serves GET /metrics in the text format 0.0.4', async () => {
    const [m] = await cluster(2);
    const agent = await startAgent(['--uri', '127.0.0.1:0', '--seeds', m.uri, '--heartbeat', '0.2', '--ack-timeout', '0.3']);
    cleanup(() => agent.child.kill());
    const text = await waitFor(async () => {
      const res = await fetch(`${agent.url}metrics`);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const t = await res.text();
      return /^swim_members\{status="alive"\} 3$/m.test(t) ? t : null;
    }, 15_000, { what: 'the agent seeing 3 alive members' });
    const { samples } = parseText(text);
    expect(samples.get('swim_up')).toBe(1);
    expect((await getJson<{ status: string }>(`${agent.url}health`)).body.status).toBe('ok');
    agent.child.proc.kill('SIGTERM');
    expect((await agent.child.exited).code).toBe(0);
  });
});
