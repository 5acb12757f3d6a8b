// `swim-native demo`: a local cluster on 127.0.0.1 that converges, loses a member without
// notice (suspected, then dead) and sees another one leave.
import { Swim } from '../swim';
import type { MemberEvent } from '../member';
import { parse, positive, UsageError } from './common';

export const DEMO_USAGE = `usage: swim-native demo [--members N] [--heartbeat SECONDS] [--ack-timeout SECONDS]

  Runs N (default 5, at least 3) SWIM members on 127.0.0.1, prints the membership table as
  it converges, kills one (close without quit) and watches it go suspected then dead, lets
  another one quit and watches it leave; exits 0 when all of that was seen.
  Defaults: heartbeat 0.2 s, ack timeout 0.3 s.`;

export interface DemoOptions {
  members: number;
  heartbeatRate: number;
  ackTimeout: number;
}

export async function runDemo(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parse('demo', argv, {
    members: { type: 'string' },
    heartbeat: { type: 'string' },
    'ack-timeout': { type: 'string' },
  }, { min: 0, max: 0, names: '' });
  if (values.help) {
    out(`${DEMO_USAGE}\n`);
    return 0;
  }
  const opts: DemoOptions = { members: 5, heartbeatRate: 0.2, ackTimeout: 0.3 };
  if (typeof values.members === 'string') opts.members = Math.floor(positive('--members', values.members));
  if (typeof values.heartbeat === 'string') opts.heartbeatRate = positive('--heartbeat', values.heartbeat);
  if (typeof values['ack-timeout'] === 'string') opts.ackTimeout = positive('--ack-timeout', values['ack-timeout']);
  if (opts.members < 3) throw new UsageError('--members must be at least 3');
  await demo(opts);
  return 0;
}

const SHORT: Record<string, string> = { alive: 'alive', suspected: 'SUSPECT', dead: 'DEAD', left: 'left' };

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`demo: ${what} not seen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function demo(opts: DemoOptions): Promise<void> {
  const t0 = Date.now();
  const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(2).padStart(6)}s`;
  const say = (line: string): void => {
    process.stdout.write(`${elapsed()}  ${line}\n`);
  };

  const members: Swim[] = [];
  for (let i = 0; i < opts.members; i++) {
    members.push(
      new Swim({
        uri: '127.0.0.1:0',
        heartbeatRate: opts.heartbeatRate,
        ackTimeout: opts.ackTimeout,
        payload: { name: `m${i + 1}` },
      }),
    );
  }
  const names = new Map(members.map((m, i) => [m.uuid, `m${i + 1}`] as const));
  const uuids = members.map((m) => m.uuid);
  say(`started ${opts.members} members (heartbeat ${opts.heartbeatRate} s, ack timeout ${opts.ackTimeout} s):`);
  members.forEach((m, i) => say(`  m${i + 1}  ${m.uri}  ${m.uuid}`));

  // Membership as each live member sees it, kept from events.
  const seen: Map<string, string>[] = members.map(() => new Map());
  const live = new Set(members.map((_, i) => i));
  const transitions: string[] = [];
  members.forEach((m, i) => {
    seen[i].set(m.uuid, 'self');
    m.on('member', (ev: MemberEvent) => {
      if (ev.member.isSelf) return;
      const who = names.get(ev.member.uuid) ?? ev.member.uuid.slice(0, 8);
      const status = ev.member.status;
      const before = seen[i].get(ev.member.uuid);
      if (ev.isDrop) seen[i].delete(ev.member.uuid);
      else seen[i].set(ev.member.uuid, status);
      if (before !== undefined && (before !== status || ev.isDrop) && !(status === 'alive' && !ev.isDrop)) {
        const line = `m${i + 1} sees ${who}: ${before} -> ${status}${ev.isDrop ? ' (removed from the table)' : ''}`;
        transitions.push(line);
        say(line);
      }
    });
  });

  let lastTable = '';
  const table = (): string => {
    const head = '            ' + uuids.map((u) => (names.get(u) as string).padEnd(8)).join('');
    const rows = [...live].map((i) => {
      const cells = uuids.map((u) => (SHORT[seen[i].get(u) ?? ''] ?? seen[i].get(u) ?? '-').padEnd(8));
      return `  m${i + 1} sees   ${cells.join('')}`;
    });
    return [head, ...rows].join('\n');
  };
  const printTable = (force = false): void => {
    const t = table();
    if (t === lastTable && !force) return;
    lastTable = t;
    process.stdout.write(`${elapsed()}  membership:\n${t}\n`);
  };
  const ticker = setInterval(() => printTable(), 250);

  try {
    // Chain bootstrap: each member knows only the previous one; gossip does the rest.
    for (let i = 1; i < members.length; i++) members[i].addMember({ uri: members[i - 1].uri, uuid: members[i - 1].uuid });
    say('bootstrap: m(k) knows only m(k-1)');
    await until(
      'fullmesh',
      () => [...live].every((i) => members[i].size === members.length && members[i].members().every((x) => x.status === 'alive')),
      30_000,
    );
    printTable();
    say(`fullmesh: every member sees all ${members.length}`);

    const victim = members.length - 1;
    live.delete(victim);
    say(`killing m${victim + 1} (close without quit): peers must find out by failure detection`);
    await members[victim].close();
    await until('a suspicion of the killed member', () => transitions.some((t) => t.includes(`m${victim + 1}: alive -> suspected`)), 30_000);
    await until(
      'the killed member dead everywhere',
      () =>
        [...live].every((i) =>
          transitions.some((t) => t.startsWith(`m${i + 1} sees m${victim + 1}:`) && / -> dead/.test(t)),
        ),
      30_000,
    );
    printTable(true);
    say(`m${victim + 1} is dead for everyone`);

    const leaver = members.length - 2;
    say(`m${leaver + 1} quits: it tells everyone it leaves`);
    live.delete(leaver);
    await members[leaver].quit();
    await until(
      'the quitting member left everywhere',
      () =>
        [...live].every((i) =>
          transitions.some((t) => t.startsWith(`m${i + 1} sees m${leaver + 1}:`) && / -> left/.test(t)),
        ),
      30_000,
    );
    printTable(true);
    say(`m${leaver + 1} has left for everyone`);
  } finally {
    clearInterval(ticker);
    await Promise.all(members.map((m) => m.close()));
  }
  // Counters stay readable after close: m1's final ones.
  const s = members[0].stats();
  say(
    `m1 sent ${s.pingsSent} pings and ${s.acksSent} acks, suspected ${s.suspicions} and declared ` +
      `${s.deaths} dead (metrics: swim-native agent, docs/operations.md)`,
  );
  say('demo done');
}

