// Test harness for a real Tarantool peer (2.6, Lua `require('swim')`).
//
// Each instance is a `tarantool` child process running a generated Lua script in a private
// temporary directory. The control channel is line-based JSON over the child's stdio:
// commands arrive on stdin (read by a fiber through `fio`, whose reads run in Tarantool's
// coio thread pool, so the event loop and swim keep running meanwhile), replies go to stdout
// as lines prefixed with a marker so stray prints cannot be mistaken for replies. EOF on
// stdin makes the script exit: when the test process dies, even by SIGKILL, its end of the
// pipe closes and Tarantool follows; no orphan keeps a UDP port.
//
// Network use is up to the caller's Lua; the helpers below only ever configure 127.0.0.1.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPLY_PREFIX = '@@swim-tt ';

export interface TarantoolAvailability {
  available: boolean;
  /** Absolute path of the binary when found. */
  bin?: string;
  /** First line of `tarantool --version`. */
  version?: string;
  /** Why it is not available. */
  reason?: string;
}

// Tarantool is the peer, not the code under test: under scripts/test-asan.sh the sanitizer
// runtime is preloaded into every process of the run, and tarantool 2.6 hangs at start-up
// with it. The child gets the environment without the preload and sanitizer options.
function childEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.LD_PRELOAD;
  delete env.ASAN_OPTIONS;
  delete env.UBSAN_OPTIONS;
  return env;
}

let cachedAvailability: TarantoolAvailability | undefined;

/** The first executable `name` on PATH, then in `extraDirs`. */
export function findOnPath(name: string, extraDirs: string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs]) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Looks for a usable tarantool (env TARANTOOL, else PATH) with the `swim` module. */
export function findTarantool(): TarantoolAvailability {
  if (cachedAvailability) return cachedAvailability;
  const bin = process.env.TARANTOOL || findOnPath('tarantool');
  if (!bin) {
    cachedAvailability = { available: false, reason: 'no `tarantool` binary on PATH (Debian package `tarantool`)' };
    return cachedAvailability;
  }
  try {
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000, env: childEnv() }).split('\n')[0] ?? '';
    // The swim module is what every interop test needs; an old tarantool lacks it.
    execFileSync(bin, ['-e', "require('swim') os.exit(0)"], { stdio: 'ignore', timeout: 10_000, env: childEnv() });
    cachedAvailability = { available: true, bin, version };
  } catch (err) {
    cachedAvailability = { available: false, bin, reason: `${bin} is not usable: ${(err as Error).message}` };
  }
  return cachedAvailability;
}

/**
 * For test files that need a real Tarantool. In CI (process.env.CI set) a missing tarantool
 * is an error: this throws, so the test file fails. Locally it returns available=false after
 * logging why, and the caller skips: `describe.skipIf(!tt.available)(...)`.
 */
export function requireTarantool(): TarantoolAvailability {
  const a = findTarantool();
  if (a.available) return a;
  if (process.env.CI) {
    throw new Error(`tarantool is required when CI is set: ${a.reason}`);
  }
  console.warn(`[swim-native tests] SKIPPING Tarantool interop tests: ${a.reason}. ` +
    'Install the Debian package `tarantool` (2.6) to run them.');
  return a;
}

export interface StartOptions {
  /** Lua code run once at start-up, before the control channel opens (define globals here). */
  script?: string;
  /** Milliseconds to wait for the instance to report ready (default 15000). */
  readyTimeoutMs?: number;
  /** Extra environment for the child. */
  env?: Record<string, string>;
  /** Name used in error messages and the temp dir (default 'tt'). */
  name?: string;
  /** A command prefix that execs its arguments, e.g. `ip netns exec NS` (test/helpers/netns.ts). */
  wrap?: string[];
}

export interface TarantoolInstance {
  readonly name: string;
  readonly pid: number;
  /** The temporary working directory (removed on stop/kill). */
  readonly dir: string;
  /**
   * Runs a Lua chunk with the JSON-decoded `args` as `...` and resolves with its first
   * return value, JSON-encoded by Tarantool (64-bit cdata numbers become JSON numbers: return
   * tostring(x) when precision matters). A Lua error rejects with its message.
   */
  eval<T = unknown>(lua: string, ...args: unknown[]): Promise<T>;
  /** Like eval, every return value in an array. */
  evalAll(lua: string, ...args: unknown[]): Promise<unknown[]>;
  /** What the instance wrote to stderr (Tarantool's log) and stray stdout, for diagnostics. */
  log(): string;
  /** Graceful stop: closes stdin (the script exits), SIGKILL after timeoutMs. Idempotent. */
  stop(timeoutMs?: number): Promise<void>;
  /** Immediate SIGKILL. Idempotent. */
  kill(): void;
  readonly exited: boolean;
}

// Runs before the user script: the reply channel and small helpers tests share.
const PRELUDE = String.raw`
local fiber = require('fiber')
local json = require('json')
-- Values json cannot represent (cdata structs, functions) become their tostring().
json.cfg({encode_use_tostring = true, encode_invalid_numbers = true, encode_max_depth = 64})

local PREFIX = '@@swim-tt '
local function reply(t)
  io.stdout:write(PREFIX .. json.encode(t) .. '\n')
  io.stdout:flush()
end

-- Helpers for tests, global on purpose.
harness = {}
function harness.hex(s)
  if s == nil then return nil end
  return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end))
end
function harness.unhex(h)
  return (h:gsub('..', function(x) return string.char(tonumber(x, 16)) end))
end
-- A member as plain JSON-able data; 64-bit numbers as decimal strings.
function harness.member(m)
  if m == nil then return nil end
  local inc = m:incarnation()
  local payload = m:payload_str()
  return {
    uri = m:uri(), uuid = tostring(m:uuid()), status = m:status(),
    generation = tostring(inc.generation):gsub('ULL$', ''),
    version = tostring(inc.version):gsub('ULL$', ''),
    payload_hex = payload and harness.hex(payload) or nil,
    is_dropped = m:is_dropped(),
  }
end
function harness.members(s)
  local out = {}
  for _, m in s:pairs() do table.insert(out, harness.member(m)) end
  return out
end

local function run(cmd)
  local fn, err = loadstring(cmd.code, '=eval')
  if fn == nil then
    reply({id = cmd.id, ok = false, error = 'syntax: ' .. tostring(err)})
    return
  end
  local args = cmd.args or {}
  local res = {pcall(fn, unpack(args, 1, cmd.nargs or #args))}
  -- pcall's first result is the status; pack the rest with explicit nulls for holes.
  local out = {}
  for i = 2, table.maxn(res) do
    local v = res[i]
    if v == nil then v = json.NULL end
    out[i - 1] = v
  end
  if res[1] then
    local ok, line = pcall(json.encode, {id = cmd.id, ok = true, result = out})
    if ok then
      io.stdout:write(PREFIX .. line .. '\n') io.stdout:flush()
    else
      reply({id = cmd.id, ok = false, error = 'cannot encode result: ' .. tostring(line)})
    end
  else
    reply({id = cmd.id, ok = false, error = tostring(res[2])})
  end
end

-- stdin from Node is a socketpair, which fio cannot open: wait for it on the event loop
-- (socket.iowait yields only this fiber) and read(2) it through the FFI.
local ffi = require('ffi')
pcall(ffi.cdef, 'long swim_harness_read(int fd, void *buf, size_t n) asm("read");')
local function read_stdin()
  local size = 65536
  local cbuf = ffi.new('char[?]', size)
  while true do
    require('socket').iowait(0, 'R', 3600)
    local n = tonumber(ffi.C.swim_harness_read(0, cbuf, size))
    if n > 0 then return ffi.string(cbuf, n) end
    if n == 0 then return nil end
    local errno = ffi.errno()
    -- EINTR / EAGAIN: wait again; anything else ends the channel.
    if errno ~= 4 and errno ~= 11 then return nil end
  end
end

local function serve()
  fiber.create(function()
    local buf = ''
    while true do
      local chunk = read_stdin()
      if chunk == nil then os.exit(0) end
      buf = buf .. chunk
      while true do
        local nl = buf:find('\n', 1, true)
        if nl == nil then break end
        local line = buf:sub(1, nl - 1)
        buf = buf:sub(nl + 1)
        local ok, cmd = pcall(json.decode, line)
        if ok and type(cmd) == 'table' then
          if cmd.op == 'exit' then os.exit(cmd.code or 0) end
          -- Each command in its own fiber: one that sleeps does not hold up the others.
          fiber.create(run, cmd)
        else
          reply({id = json.NULL, ok = false, error = 'bad command line'})
        end
      end
    end
  end)
end
`;

const live = new Set<TarantoolInstance>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test forgot stop(): kill synchronously as the process exits.
  process.on('exit', () => {
    for (const t of live) t.kill();
  });
}

/** Stops every instance started by this process (use in afterAll/afterEach). */
export async function stopAllTarantools(): Promise<void> {
  await Promise.all([...live].map((t) => t.stop()));
}

/** Starts a Tarantool instance and resolves once its control channel is ready. */
export async function startTarantool(options: StartOptions = {}): Promise<TarantoolInstance> {
  const avail = findTarantool();
  if (!avail.available || !avail.bin) throw new Error(`tarantool not available: ${avail.reason}`);
  installExitHook();
  const name = options.name ?? 'tt';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `swim-${name}-`));
  const scriptPath = path.join(dir, 'harness.lua');
  const body = [
    PRELUDE,
    '-- user script',
    'do',
    options.script ?? '',
    'end',
    'serve()',
    'reply({ready = true, version = _TARANTOOL})',
  ].join('\n');
  fs.writeFileSync(scriptPath, body);

  const argv = [...(options.wrap ?? []), avail.bin, scriptPath];
  const child: ChildProcessWithoutNullStreams = spawn(argv[0]!, argv.slice(1), {
    cwd: dir,
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  let logText = '';
  const appendLog = (s: string) => {
    logText += s;
    if (logText.length > 200_000) logText = logText.slice(-100_000);
  };
  let exited = false;
  let exitInfo = '';
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown[]) => void; reject: (e: Error) => void }>();
  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  ready.catch(() => {}); // observed through the race below

  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
      live.delete(instance);
      const err = new Error(`tarantool ${name} exited (${exitInfo})\n--- log tail ---\n${logText.slice(-4000)}`);
      readyReject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      fs.rmSync(dir, { recursive: true, force: true });
      resolve();
    });
  });
  child.on('error', (err) => {
    readyReject(err);
  });
  // Writing to a child that already died raises EPIPE on stdin; the exit handler reports it.
  child.stdin.on('error', () => {});

  let outBuf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    outBuf += chunk;
    for (;;) {
      const nl = outBuf.indexOf('\n');
      if (nl < 0) break;
      const line = outBuf.slice(0, nl);
      outBuf = outBuf.slice(nl + 1);
      if (!line.startsWith(REPLY_PREFIX)) {
        appendLog(line + '\n');
        continue;
      }
      let msg: { id?: number; ok?: boolean; result?: unknown[]; error?: string; ready?: boolean };
      try {
        msg = JSON.parse(line.slice(REPLY_PREFIX.length));
      } catch {
        appendLog(`[unparsable reply] ${line}\n`);
        continue;
      }
      if (msg.ready) {
        readyResolve();
        continue;
      }
      const p = msg.id === undefined || msg.id === null ? undefined : pending.get(msg.id);
      if (!p) {
        appendLog(`[reply without request] ${line}\n`);
        continue;
      }
      pending.delete(msg.id!);
      if (msg.ok) p.resolve(msg.result ?? []);
      else p.reject(new Error(`tarantool ${name}: ${msg.error}`));
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => appendLog(chunk));

  const send = (obj: unknown) => {
    if (exited) throw new Error(`tarantool ${name} already exited (${exitInfo})`);
    child.stdin.write(JSON.stringify(obj) + '\n');
  };

  const evalAll = (lua: string, ...args: unknown[]): Promise<unknown[]> => {
    const id = nextId++;
    return new Promise<unknown[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      try {
        send({ id, code: lua, args, nargs: args.length });
      } catch (err) {
        pending.delete(id);
        reject(err as Error);
      }
    });
  };

  const instance: TarantoolInstance = {
    name,
    pid: child.pid ?? -1,
    dir,
    evalAll,
    async eval<T>(lua: string, ...args: unknown[]): Promise<T> {
      const r = await evalAll(lua, ...args);
      return (r[0] ?? undefined) as T;
    },
    log: () => logText,
    async stop(timeoutMs = 5000) {
      if (exited) return;
      child.stdin.end();
      const timer = setTimeout(() => instance.kill(), timeoutMs);
      await exitPromise;
      clearTimeout(timer);
    },
    kill() {
      if (exited) return;
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
      if (exited) return;
      // At process exit no event will come: clean the temp dir now.
      fs.rmSync(dir, { recursive: true, force: true });
    },
    get exited() {
      return exited;
    },
  };
  live.add(instance);

  const readyTimeout = options.readyTimeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`tarantool ${name} not ready within ${readyTimeout} ms\n${logText.slice(-4000)}`)),
          readyTimeout,
        );
      }),
    ]);
  } catch (err) {
    instance.kill();
    await exitPromise;
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return instance;
}
