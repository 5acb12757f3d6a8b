#!/usr/bin/env node
// swim-native CLI. `swim-native demo`: a local cluster on 127.0.0.1 that converges, loses
// a member without notice (suspected, then dead) and sees another one leave.
import { Swim } from './swim';
import type { MemberEvent } from './member';

const USAGE = `usage: swim-native demo [--members N] [--heartbeat SECONDS] [--ack-timeout SECONDS]

  demo   run N (default 5) SWIM members on 127.0.0.1, print the membership table as it
         converges, kill one (close without quit) and watch it go suspected then dead,
         let another one quit and watch it leave; exits 0 when all of that was seen.`;

interface DemoOptions {
  members: number;
  heartbeatRate: number;
  ackTimeout: number;
}

function parseArgs(argv: string[]): { command: string | undefined; options: DemoOptions } {
  const options: DemoOptions = { members: 5, heartbeatRate: 0.2, ackTimeout: 0.3 };
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--members') options.members = Math.floor(num());
    else if (a === '--heartbeat') options.heartbeatRate = num();
    else if (a === '--ack-timeout') options.ackTimeout = num();
    else if (a === '-h' || a === '--help') command = 'help';
    else if (command === undefined) command = a;
    else throw new Error(`unexpected argument '${a}'`);
  }
  if (options.members < 3) throw new Error('--members must be at least 3');
  return { command, options };
}

const SHORT: Record<string, string> = { alive: 'alive', suspected: 'SUSPECT', dead: 'DEAD', left: 'left' };

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`demo: ${what} not seen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function demo(opts: DemoOptions): Promise<void> {
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
  say('demo done');
}

// `swim-native demo | head`: a closed pipe ends the demo quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.command === 'demo') {
    await demo(parsed.options);
    return 0;
  }
  process.stdout.write(`${USAGE}\n`);
  return parsed.command === 'help' || parsed.command === undefined ? 0 : 2;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
