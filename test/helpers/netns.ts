// Real hosts for tests: network namespaces on a private bridge, one Node child per host.
//
//   const lab = await NetLab.create({ hosts: ['h1', 'h2', 'h3'] });
//   const p = await lab.spawn('h1');                 // `ip netns exec <ns> node netns-member.cjs`
//   await p.create('a', { uri: `${lab.addr('h1')}:3301` });
//   await lab.partition(['h1'], ['h2', 'h3']); await lab.heal(); await lab.loss('all', 20);
//   await lab.isolate(['h3'], true);                 // h3's network down, both ways
//   await lab.destroy();                             // also on process exit
//
// The network: a namespace `<prefix>br` holding a bridge, and per host a namespace
// `<prefix><host>` with lo up and a veth end `eth0` (10.<subnet>.0.<i>/24, broadcast
// 10.<subnet>.0.255) whose peer is created directly in the bridge namespace: nothing is ever
// created in, or sent through, the host's own network namespace. Host names resolve inside
// the namespaces through /etc/netns/<ns>/hosts (`ip netns exec` bind-mounts it on /etc/hosts).
// Every namespace name starts with `swn-<pid>-`; namespaces (and /etc/netns dirs) left by a
// process that no longer exists are removed when a lab is created.
//
// Faults are nftables rules inside the host namespaces (table `inet swn`): a partition drops
// UDP to and from the other side's addresses, loss drops a share of the UDP datagrams each
// host receives (`numgen random mod 100 < pct`), so a datagram crossing the bridge is lost
// with probability pct, isolate drops every UDP datagram a host sends or receives on eth0
// (its network down, both ways; loopback untouched).
//
// Needs root, `ip` (iproute2) and `nft` (nftables): requireNetns() skips locally with a
// message and throws under CI, as requireTarantool() does.
import { execFile, execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findOnPath } from './tarantool';

export const FIXTURE = path.resolve(__dirname, '../fixtures/netns-member.cjs');
const PREFIX_FAMILY = 'swn-';
const CMD_TIMEOUT_MS = 15_000;

export interface NetnsAvailability {
  available: boolean;
  ip?: string;
  nft?: string;
  reason?: string;
}

function which(name: string): string | undefined {
  return findOnPath(name, ['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
}

// `ip` and `nft` are tools, not code under test: under scripts/test-asan.sh the sanitizer
// runtime is preloaded into every process; they run without it, and only the member processes
// get it back (through `env` inside the namespace).
const SANITIZER_VARS = ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS'];
function toolEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of SANITIZER_VARS) delete env[k];
  return env;
}
function sanitizerAssignments(): string[] {
  return SANITIZER_VARS.filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]}`);
}

let cached: NetnsAvailability | undefined;

/** Root, `ip` and `nft`, and a namespace can actually be created. */
export function findNetns(): NetnsAvailability {
  if (cached) return cached;
  const ip = which('ip');
  const nft = which('nft');
  if (process.platform !== 'linux') cached = { available: false, reason: 'network namespaces need Linux' };
  else if (process.getuid?.() !== 0) cached = { available: false, reason: 'network namespaces need root' };
  else if (!ip) cached = { available: false, reason: 'no `ip` binary (Debian package `iproute2`)' };
  else if (!nft) cached = { available: false, reason: 'no `nft` binary (Debian package `nftables`)' };
  else {
    const probe = `${PREFIX_FAMILY}${process.pid}-probe`;
    try {
      execFileSync(ip, ['netns', 'add', probe], { stdio: 'pipe', timeout: CMD_TIMEOUT_MS, env: toolEnv() });
      execFileSync(ip, ['netns', 'exec', probe, nft, 'list', 'ruleset'], { stdio: 'pipe', timeout: CMD_TIMEOUT_MS, env: toolEnv() });
      cached = { available: true, ip, nft };
    } catch (err) {
      cached = { available: false, ip, nft, reason: `cannot create a network namespace: ${(err as Error).message.split('\n')[0]}` };
    } finally {
      try {
        execFileSync(ip, ['netns', 'del', probe], { stdio: 'ignore', timeout: CMD_TIMEOUT_MS, env: toolEnv() });
      } catch {
        // not created
      }
    }
  }
  return cached;
}

/** Under CI a missing capability throws (the file fails); locally it warns and the caller skips. */
export function requireNetns(): NetnsAvailability {
  const a = findNetns();
  if (a.available) return a;
  if (process.env.CI) throw new Error(`network namespace tests are required when CI is set: ${a.reason}`);
  console.warn(`[swim-native tests] SKIPPING network namespace tests: ${a.reason}. ` +
    'Run as root with iproute2 and nftables installed to run them.');
  return a;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function run(argv: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0]!, argv.slice(1), { timeout: options.timeoutMs ?? CMD_TIMEOUT_MS, encoding: 'utf8', env: toolEnv() }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.join(' ')}: ${err.message.split('\n')[0]} ${stderr}`.trim()));
      else resolve(stdout);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

function listNamespaces(ip: string): string[] {
  try {
    return execFileSync(ip, ['netns', 'list'], { encoding: 'utf8', timeout: CMD_TIMEOUT_MS, env: toolEnv() })
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** Removes `swn-<pid>-*` namespaces and /etc/netns dirs whose process is gone. */
export function removeStale(): string[] {
  const { ip } = findNetns();
  if (!ip) return [];
  const stale = (n: string) => {
    const m = /^swn-(\d+)-/.exec(n);
    return m !== null && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]));
  };
  const removed: string[] = [];
  for (const ns of listNamespaces(ip).filter(stale)) {
    // Processes still inside (orphans of a killed run) keep it alive: end them first.
    try {
      const pids = execFileSync(ip, ['netns', 'pids', ns], { encoding: 'utf8', timeout: CMD_TIMEOUT_MS, env: toolEnv() }).split('\n').filter(Boolean);
      for (const p of pids) {
        try {
          process.kill(Number(p), 'SIGKILL');
        } catch {
          // gone
        }
      }
    } catch {
      // no pids
    }
    try {
      execFileSync(ip, ['netns', 'del', ns], { stdio: 'ignore', timeout: CMD_TIMEOUT_MS, env: toolEnv() });
      removed.push(ns);
    } catch {
      // raced with another cleaner
    }
  }
  try {
    for (const d of fs.readdirSync('/etc/netns')) if (stale(d)) fs.rmSync(path.join('/etc/netns', d), { recursive: true, force: true });
  } catch {
    // no /etc/netns
  }
  return removed;
}

export interface Host {
  name: string;
  ns: string;
  index: number;
  addr: string;
  /** Extra addresses added with addAddress(). */
  extra: string[];
}

export interface MemberInfo {
  uuid: string;
  uri: string;
  status: 'alive' | 'suspected' | 'dead' | 'left';
  generation: string;
  version: string;
  isSelf: boolean;
}

export interface MemberEventLine extends MemberInfo {
  type: 'event';
  name: string;
  t: number;
  isNew: boolean;
  isDrop: boolean;
  isNewStatus: boolean;
  isNewUri: boolean;
  isNewGeneration: boolean;
}

export interface ConflictLine {
  type: 'conflict';
  name: string;
  t: number;
  uuid: string;
  uri: string;
}

const liveLabs = new Set<NetLab>();
let exitHook = false;
let labCounter = 0;

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  // Last resort when afterAll did not run: kill the children and remove the namespaces
  // synchronously as the process exits.
  process.on('exit', () => {
    for (const lab of liveLabs) lab.destroySync();
  });
}

export interface LabOptions {
  /** Host names (also their names in every hosts file), or a count: h1..hN. */
  hosts: string[] | number;
  /** The second byte of the 10.x.0.0/24 network (default 77). */
  subnet?: number;
}

export class NetLab {
  readonly prefix: string;
  readonly subnet: number;
  readonly hosts = new Map<string, Host>();
  readonly procs = new Set<NodeProc>();
  readonly #ip: string;
  readonly #nft: string;
  readonly #bridgeNs: string;
  #destroyed = false;

  private constructor(subnet: number) {
    const a = findNetns();
    if (!a.available) throw new Error(`network namespaces not available: ${a.reason}`);
    this.#ip = a.ip!;
    this.#nft = a.nft!;
    this.prefix = `${PREFIX_FAMILY}${process.pid}-${labCounter++}-`;
    this.subnet = subnet;
    this.#bridgeNs = `${this.prefix}br`;
  }

  static async create(options: LabOptions): Promise<NetLab> {
    removeStale();
    const lab = new NetLab(options.subnet ?? 77);
    liveLabs.add(lab);
    installExitHook();
    try {
      await run([lab.#ip, 'netns', 'add', lab.#bridgeNs]);
      await lab.#ipIn(lab.#bridgeNs, 'link', 'add', 'br0', 'type', 'bridge');
      await lab.#ipIn(lab.#bridgeNs, 'link', 'set', 'br0', 'up');
      const names = typeof options.hosts === 'number' ? Array.from({ length: options.hosts }, (_, i) => `h${i + 1}`) : options.hosts;
      for (const n of names) await lab.addHost(n);
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  #ipIn(ns: string, ...args: string[]): Promise<string> {
    return run([this.#ip, '-n', ns, ...args]);
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** The host's address, 10.<subnet>.0.<i>. */
  addr(name: string): string {
    return this.host(name).addr;
  }

  async addHost(name: string): Promise<Host> {
    if (this.hosts.has(name)) throw new Error(`host ${name} exists`);
    const index = this.hosts.size + 1;
    if (index > 99) throw new Error('at most 99 hosts');
    const h: Host = { name, ns: `${this.prefix}${name}`, index, addr: `10.${this.subnet}.0.${index}`, extra: [] };
    await run([this.#ip, 'netns', 'add', h.ns]);
    this.hosts.set(name, h);
    // Both veth ends are created directly in their namespaces.
    await run([this.#ip, 'link', 'add', 'eth0', 'netns', h.ns, 'type', 'veth', 'peer', 'name', `p${index}`, 'netns', this.#bridgeNs]);
    await this.#ipIn(this.#bridgeNs, 'link', 'set', `p${index}`, 'master', 'br0');
    await this.#ipIn(this.#bridgeNs, 'link', 'set', `p${index}`, 'up');
    await this.#ipIn(h.ns, 'link', 'set', 'lo', 'up');
    await this.#ipIn(h.ns, 'addr', 'add', `${h.addr}/24`, 'brd', '+', 'dev', 'eth0');
    await this.#ipIn(h.ns, 'link', 'set', 'eth0', 'up');
    await this.nft(name, [
      'table inet swn {',
      '  chain part_in { type filter hook input priority 0; policy accept; }',
      '  chain part_out { type filter hook output priority 0; policy accept; }',
      '  chain loss_in { type filter hook input priority 10; policy accept; }',
      '  chain iso_in { type filter hook input priority 5; policy accept; }',
      '  chain iso_out { type filter hook output priority 5; policy accept; }',
      '}',
    ].join('\n'));
    this.#writeHostsFiles();
    return h;
  }

  /** Adds another address (10.<subnet>.0.<100 + n>) to a host's interface. */
  async addAddress(name: string): Promise<string> {
    const h = this.host(name);
    const used = [...this.hosts.values()].reduce((n, x) => n + x.extra.length, 0);
    const addr = `10.${this.subnet}.0.${100 + used + 1}`;
    await this.#ipIn(h.ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
    h.extra.push(addr);
    return addr;
  }

  #writeHostsFiles(): void {
    const lines = ['127.0.0.1 localhost', ...[...this.hosts.values()].map((h) => `${h.addr} ${h.name}`)].join('\n') + '\n';
    for (const h of this.hosts.values()) {
      const dir = path.join('/etc/netns', h.ns);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'hosts'), lines);
    }
  }

  /** Runs a command inside a host's namespace. */
  exec(name: string, argv: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    return run([this.#ip, 'netns', 'exec', this.host(name).ns, ...argv], options);
  }

  /** Applies an nft script (`nft -f -`) inside a host's namespace. */
  async nft(name: string, script: string): Promise<void> {
    await this.exec(name, [this.#nft, '-f', '-'], { input: script + '\n' });
  }

  #hostsOf(names: string[] | 'all'): Host[] {
    return names === 'all' ? [...this.hosts.values()] : names.map((n) => this.host(n));
  }

  /** Drops UDP between every host of `a` and every host of `b` (both ways, all their addresses). */
  async partition(a: string[], b: string[]): Promise<void> {
    const addrs = (hs: Host[]) => `{ ${hs.flatMap((h) => [h.addr, ...h.extra]).join(', ')} }`;
    const side = async (from: string[], to: string[]) => {
      const peers = addrs(this.#hostsOf(to));
      await Promise.all(this.#hostsOf(from).map((h) => this.nft(h.name, [
        `add rule inet swn part_in ip saddr ${peers} meta l4proto udp drop`,
        `add rule inet swn part_out ip daddr ${peers} meta l4proto udp drop`,
      ].join('\n'))));
    };
    await side(a, b);
    await side(b, a);
  }

  /** Removes every partition rule. */
  async heal(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => this.nft(h.name, 'flush chain inet swn part_in\nflush chain inet swn part_out')));
  }

  /** Each listed host drops `pct` % of the UDP datagrams it receives from other hosts (0: none). */
  async loss(names: string[] | 'all', pct: number): Promise<void> {
    const rules = pct > 0
      ? `\nadd rule inet swn loss_in iif != lo meta l4proto udp counter\nadd rule inet swn loss_in iif != lo meta l4proto udp numgen random mod 100 < ${pct} counter drop`
      : '';
    await Promise.all(this.#hostsOf(names).map((h) => this.nft(h.name, `flush chain inet swn loss_in${rules}`)));
  }

  /** Switches each listed host's network off (every UDP datagram in or out of eth0 dropped) or back on. */
  async isolate(names: string[] | 'all', on: boolean): Promise<void> {
    const rules = on
      ? '\nadd rule inet swn iso_in iif != lo meta l4proto udp counter drop\nadd rule inet swn iso_out oif != lo meta l4proto udp counter drop'
      : '';
    await Promise.all(this.#hostsOf(names).map((h) => this.nft(h.name, `flush chain inet swn iso_in\nflush chain inet swn iso_out${rules}`)));
  }

  /** Datagrams isolate() dropped on a host since it was last switched on: received, sent. */
  async isolationCounters(name: string): Promise<{ in: number; out: number }> {
    const dropped = async (chain: string) => {
      const out = JSON.parse(await this.exec(name, [this.#nft, '-j', 'list', 'chain', 'inet', 'swn', chain])) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] };
      return out.nftables.reduce((n, x) => n + (x.rule?.expr.find((e) => e.counter)?.counter?.packets ?? 0), 0);
    };
    return { in: await dropped('iso_in'), out: await dropped('iso_out') };
  }

  /** Datagrams a host received from other hosts and dropped since its last loss() call. */
  async lossCounters(name: string): Promise<{ seen: number; dropped: number }> {
    const out = JSON.parse(await this.exec(name, [this.#nft, '-j', 'list', 'chain', 'inet', 'swn', 'loss_in'])) as { nftables: { rule?: { expr: { counter?: { packets: number }; drop?: null }[] } }[] };
    const counts = out.nftables.filter((x) => x.rule).map((x) => ({
      packets: x.rule!.expr.find((e) => e.counter)?.counter?.packets ?? 0,
      drop: x.rule!.expr.some((e) => 'drop' in e),
    }));
    return { seen: counts.find((c) => !c.drop)?.packets ?? 0, dropped: counts.find((c) => c.drop)?.packets ?? 0 };
  }

  /** Starts a member process (test/fixtures/netns-member.cjs) inside a host's namespace. */
  async spawn(name: string, options: { readyTimeoutMs?: number } = {}): Promise<NodeProc> {
    const h = this.host(name);
    const san = sanitizerAssignments();
    const envCmd = san.length ? [which('env') ?? '/usr/bin/env', ...san] : [];
    const child = spawn(this.#ip, ['netns', 'exec', h.ns, ...envCmd, process.execPath, FIXTURE], { stdio: ['pipe', 'pipe', 'pipe'], env: toolEnv() });
    const p = new NodeProc(h, child);
    this.procs.add(p);
    void p.exited.then(() => this.procs.delete(p));
    await p.ready(options.readyTimeoutMs ?? 15_000);
    return p;
  }

  /** Wraps a command to run inside a host's namespace (for other programs, e.g. tarantool). */
  wrap(name: string): string[] {
    return [this.#ip, 'netns', 'exec', this.host(name).ns];
  }

  /** Stops every child (EOF, then SIGKILL), removes the namespaces and hosts files. */
  async destroy(): Promise<void> {
    await Promise.all([...this.procs].map((p) => p.stop(3000)));
    this.destroySync();
  }

  destroySync(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    liveLabs.delete(this);
    for (const p of this.procs) p.kill();
    const mine = listNamespaces(this.#ip).filter((n) => n.startsWith(this.prefix));
    for (const ns of mine) {
      try {
        const pids = execFileSync(this.#ip, ['netns', 'pids', ns], { encoding: 'utf8', timeout: CMD_TIMEOUT_MS, env: toolEnv() }).split('\n').filter(Boolean);
        for (const pid of pids) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // gone
          }
        }
      } catch {
        // none
      }
      try {
        execFileSync(this.#ip, ['netns', 'del', ns], { stdio: 'ignore', timeout: CMD_TIMEOUT_MS, env: toolEnv() });
      } catch {
        // already gone
      }
      fs.rmSync(path.join('/etc/netns', ns), { recursive: true, force: true });
    }
    for (const h of this.hosts.values()) fs.rmSync(path.join('/etc/netns', h.ns), { recursive: true, force: true });
  }
}

type Line = { type: string; [k: string]: unknown };

/** One member process: request/reply over stdin/stdout, and the events it printed. */
export class NodeProc {
  readonly host: Host;
  readonly child: ChildProcessWithoutNullStreams;
  readonly events: MemberEventLine[] = [];
  readonly conflicts: ConflictLine[] = [];
  readonly other: Line[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  #nextId = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #readyResolve!: () => void;
  #readyP: Promise<void>;
  #exited = false;
  #watchers: { pred: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];

  constructor(host: Host, child: ChildProcessWithoutNullStreams) {
    this.host = host;
    this.child = child;
    this.#readyP = new Promise((r) => (this.#readyResolve = r));
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const text = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        let line: Line;
        try {
          line = JSON.parse(text) as Line;
        } catch {
          this.stderr += `[stdout] ${text}\n`;
          continue;
        }
        this.#onLine(line);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      this.stderr += c;
      if (this.stderr.length > 100_000) this.stderr = this.stderr.slice(-50_000);
    });
    child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.#exited = true;
        const err = new Error(`member process on ${host.name} exited (${signal ?? code})\n${this.stderr.slice(-2000)}`);
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
        resolve({ code, signal });
      });
    });
  }

  #onLine(line: Line): void {
    if (line.type === 'ready') this.#readyResolve();
    else if (line.type === 'reply') {
      const p = this.#pending.get(line.id as number);
      if (p) {
        this.#pending.delete(line.id as number);
        if (line.ok) p.resolve(line.result);
        else {
          const e = line.error as { code?: string; reason?: string; message: string };
          p.reject(Object.assign(new Error(`${this.host.name}: ${e.message}`), { code: e.code, reason: e.reason }));
        }
      }
    } else if (line.type === 'event') this.events.push(line as unknown as MemberEventLine);
    else if (line.type === 'conflict') this.conflicts.push(line as unknown as ConflictLine);
    else this.other.push(line);
    this.#watchers = this.#watchers.filter((w) => {
      if (!w.pred(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  ready(timeoutMs: number): Promise<void> {
    return deadline(Promise.race([this.#readyP, this.exited.then(() => Promise.reject(new Error(`exited before ready: ${this.stderr}`)))]), timeoutMs, `${this.host.name}: member process ready`);
  }

  get alive(): boolean {
    return !this.#exited;
  }

  request<T = unknown>(cmd: Record<string, unknown>, timeoutMs = 15_000): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`member process on ${this.host.name} has exited`));
    const id = this.#nextId++;
    const p = new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
    this.child.stdin.write(`${JSON.stringify({ id, ...cmd })}\n`);
    return deadline(p, timeoutMs, `${this.host.name}: ${JSON.stringify(cmd).slice(0, 200)}`).finally(() => this.#pending.delete(id));
  }

  /** new Swim(opts) as `name` in this process; resolves with its uri and uuid. */
  create(name: string, opts: Record<string, unknown>): Promise<{ uri: string; uuid: string }> {
    return this.request({ op: 'create', name, opts });
  }

  members(name: string): Promise<MemberInfo[]> {
    return this.request({ op: 'members', name });
  }

  call<T = unknown>(name: string, method: string, ...args: unknown[]): Promise<T> {
    return this.request({ op: 'call', name, method, args });
  }

  /** A property of an instance (config, uri, size, ...). */
  get<T = unknown>(name: string, prop: string): Promise<T> {
    return this.request({ op: 'get', name, prop });
  }

  /** A static method of Swim (e.g. uuidFromName). */
  static<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    return this.request({ op: 'static', method, args });
  }

  /** Resolves with the first future line matching pred. */
  waitLine(pred: (l: Line) => boolean, timeoutMs: number, what: string): Promise<Line> {
    const p = new Promise<Line>((resolve) => this.#watchers.push({ pred, resolve }));
    return deadline(p, timeoutMs, `${this.host.name}: ${what}`);
  }

  /** Ends the process at once (SIGKILL: a crash, peers get no notice). */
  kill(): void {
    if (this.#exited) return;
    try {
      this.child.kill('SIGKILL');
    } catch {
      // gone
    }
  }

  /** EOF on stdin (the fixture exits), SIGKILL after timeoutMs. */
  async stop(timeoutMs = 3000): Promise<void> {
    if (this.#exited) return;
    this.child.stdin.end();
    const t = setTimeout(() => this.kill(), timeoutMs);
    await this.exited;
    clearTimeout(t);
  }
}

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** An instance in a member process: the handle tests pass around. */
export interface Inst {
  proc: NodeProc;
  name: string;
  uuid: string;
  uri: string;
}

/** True when every instance sees every other one alive, with the expected uri, and nothing else. */
export async function fullMesh(insts: Inst[], options: { allowExtra?: boolean } = {}): Promise<boolean> {
  const views = await Promise.all(insts.map((i) => i.proc.members(i.name)));
  return views.every((view, k) => {
    const others = view.filter((m) => !m.isSelf);
    const want = insts.filter((_, j) => j !== k);
    const ok = want.every((w) => others.some((m) => m.uuid === w.uuid && m.status === 'alive' && m.uri === w.uri));
    return ok && (options.allowExtra || others.length === want.length);
  });
}

/** A compact description of every instance's view, for failure messages. */
export async function describeViews(insts: Inst[]): Promise<string> {
  const lines: string[] = [];
  for (const i of insts) {
    try {
      const view = await i.proc.members(i.name);
      lines.push(`${i.name}@${i.proc.host.name} (${i.uri}): ${view.filter((m) => !m.isSelf).map((m) => `${m.uri}/${m.uuid.slice(0, 8)}=${m.status}`).join(', ')}`);
    } catch (err) {
      lines.push(`${i.name}: ${(err as Error).message}`);
    }
  }
  return lines.join('\n');
}
