// The agent: one long-running member for sidecars and operators (`swim-native agent`), with
// an HTTP server (src/http.ts). Its configuration comes from a JSON file, the environment
// and flags, in that order of precedence (flags win); docs/operations.md.
import fs from 'node:fs';
import path from 'node:path';
import { readCodecKeyFile } from './cli/keys';
import type { CodecConfig } from './crypto';
import { describeEvent } from './diagnostics';
import { SwimHttpServer } from './http';
import { Swim } from './swim';

/** The agent's settings, as the config file spells them. */
export interface AgentConfig {
  /** Address to announce (required): 'a.b.c.d:port', '0.0.0.0:port', 'port'. */
  uri?: string;
  /** Address to bind, when it differs from uri. */
  bind?: string;
  /** A stable name: the UUID is Swim.uuidFromName(name). */
  name?: string;
  /** An explicit UUID (instead of name). */
  uuid?: string;
  /** 'host:port' addresses to join through. */
  seeds?: string[];
  /** The payload (any JSON value). */
  payload?: unknown;
  /** Seconds between round steps. */
  heartbeat?: number;
  /** Seconds before an unanswered ping counts as missed. */
  ackTimeout?: number;
  /** 'on' | 'off'. */
  gcMode?: 'on' | 'off';
  /** A file with the codec key (docs/operations.md#codec-key-file). */
  codecKeyFile?: string;
  /** 'host:port' of the HTTP server, or 'off'. Default 127.0.0.1:3380. */
  http?: string;
}

/** Where the HTTP server listens unless told otherwise. */
export const DEFAULT_HTTP = '127.0.0.1:3380';

/** A configuration problem: the message names the setting and where it came from. */
export class AgentConfigError extends Error {
  override name = 'AgentConfigError';
}

type Source = 'flag' | 'env' | 'file';
const KEYS: ReadonlyArray<{ key: keyof AgentConfig; flag: string; env: string; kind: 'string' | 'seeds' | 'number' | 'json' }> = [
  { key: 'uri', flag: '--uri', env: 'SWIM_URI', kind: 'string' },
  { key: 'bind', flag: '--bind', env: 'SWIM_BIND', kind: 'string' },
  { key: 'name', flag: '--name', env: 'SWIM_NAME', kind: 'string' },
  { key: 'uuid', flag: '--uuid', env: 'SWIM_UUID', kind: 'string' },
  { key: 'seeds', flag: '--seeds', env: 'SWIM_SEEDS', kind: 'seeds' },
  { key: 'payload', flag: '--payload', env: 'SWIM_PAYLOAD', kind: 'json' },
  { key: 'heartbeat', flag: '--heartbeat', env: 'SWIM_HEARTBEAT', kind: 'number' },
  { key: 'ackTimeout', flag: '--ack-timeout', env: 'SWIM_ACK_TIMEOUT', kind: 'number' },
  { key: 'gcMode', flag: '--gc-mode', env: 'SWIM_GC_MODE', kind: 'string' },
  { key: 'codecKeyFile', flag: '--codec-key-file', env: 'SWIM_CODEC_KEY_FILE', kind: 'string' },
  { key: 'http', flag: '--http', env: 'SWIM_HTTP', kind: 'string' },
];

/** Environment variables the agent reads (SWIM_CONFIG: the config file). */
export const AGENT_ENV = ['SWIM_CONFIG', ...KEYS.map((k) => k.env)];

function where(source: Source, k: (typeof KEYS)[number]): string {
  return source === 'flag' ? k.flag : source === 'env' ? k.env : `"${k.key}" in the config file`;
}

function convert(k: (typeof KEYS)[number], value: unknown, source: Source): unknown {
  const w = where(source, k);
  if (source === 'file') {
    // JSON already typed; only check the type.
    if (k.kind === 'json') return value;
    if (k.kind === 'number') {
      if (typeof value !== 'number') throw new AgentConfigError(`${w}: expected a number of seconds, got ${JSON.stringify(value)}`);
      return value;
    }
    if (k.kind === 'seeds') {
      if (typeof value === 'string') return splitSeeds(value);
      if (!Array.isArray(value) || !value.every((s) => typeof s === 'string'))
        throw new AgentConfigError(`${w}: expected an array of "host:port" strings`);
      return value;
    }
    if (typeof value !== 'string') throw new AgentConfigError(`${w}: expected a string, got ${JSON.stringify(value)}`);
    return value;
  }
  const s = String(value);
  switch (k.kind) {
    case 'number': {
      const n = Number(s);
      if (s.trim() === '' || !Number.isFinite(n)) throw new AgentConfigError(`${w}: expected a number of seconds, got '${s}'`);
      return n;
    }
    case 'seeds':
      return splitSeeds(s);
    case 'json':
      try {
        return JSON.parse(s) as unknown;
      } catch (err) {
        throw new AgentConfigError(`${w}: not valid JSON (${(err as Error).message})`);
      }
    default:
      return s;
  }
}

function splitSeeds(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

/**
 * The agent's configuration from a config file (`flags.config`, else SWIM_CONFIG), the
 * environment, and flags (already parsed, keyed by long name without dashes, e.g.
 * 'ack-timeout'); later sources win. Throws AgentConfigError naming the bad setting.
 */
export function resolveAgentConfig(
  flags: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv = process.env,
): AgentConfig & { configFile?: string } {
  const out: Record<string, unknown> = {};
  const configFile = flags.config ?? (env.SWIM_CONFIG || undefined);
  if (configFile !== undefined) {
    let j: unknown;
    try {
      j = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new AgentConfigError(`config file ${configFile}: ${e.code === undefined ? e.message : e.code}`);
    }
    if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new AgentConfigError(`config file ${configFile}: expected a JSON object`);
    for (const [key, value] of Object.entries(j)) {
      const k = KEYS.find((x) => x.key === key);
      if (k === undefined)
        throw new AgentConfigError(`config file ${configFile}: unknown setting "${key}" (known: ${KEYS.map((x) => x.key).join(', ')})`);
      out[key] = convert(k, value, 'file');
    }
    // A relative key file is relative to the config file.
    if (typeof out.codecKeyFile === 'string') out.codecKeyFile = path.resolve(path.dirname(configFile), out.codecKeyFile);
  }
  for (const k of KEYS) {
    const v = env[k.env];
    if (v !== undefined && v !== '') out[k.key] = convert(k, v, 'env');
  }
  for (const k of KEYS) {
    const v = flags[k.flag.slice(2)];
    if (v !== undefined) out[k.key] = convert(k, v, 'flag');
  }
  const config = out as AgentConfig & { configFile?: string };
  if (configFile !== undefined) config.configFile = configFile;
  if (config.uri === undefined) throw new AgentConfigError('no address: give --uri (or SWIM_URI, or "uri" in the config file)');
  if (config.name !== undefined && config.uuid !== undefined) throw new AgentConfigError('give a name or a uuid, not both');
  if (config.gcMode !== undefined && config.gcMode !== 'on' && config.gcMode !== 'off')
    throw new AgentConfigError(`gc mode: expected 'on' or 'off', got '${config.gcMode}'`);
  return config;
}

/** 'host:port' or 'port' (host 127.0.0.1) of the HTTP server. */
export function parseHttpAddress(s: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?:)?(\d{1,5})$/.exec(s.trim());
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port > 65535) throw new AgentConfigError(`http address: expected host:port or port, got '${s}'`);
  return { host: m[1] === undefined || m[1] === '' ? '127.0.0.1' : m[1], port };
}

export interface AgentOutput {
  log(line: string): void;
  warn(line: string): void;
}

/** A running agent: the member and its HTTP server. */
export class Agent {
  readonly swim: Swim;
  readonly http: SwimHttpServer | null;
  /** 'http://host:port/' of the HTTP server, when it listens. */
  url: string | null = null;
  readonly #out: AgentOutput;
  #stopping: Promise<void> | null = null;

  private constructor(swim: Swim, http: SwimHttpServer | null, out: AgentOutput) {
    this.swim = swim;
    this.http = http;
    this.#out = out;
  }

  /** Starts a member and its HTTP server. Throws on a bad configuration (bind errors included). */
  static async start(config: AgentConfig, out: AgentOutput): Promise<Agent> {
    let codec: CodecConfig | undefined;
    if (config.codecKeyFile !== undefined) {
      try {
        codec = readCodecKeyFile(config.codecKeyFile, (m) => out.warn(m));
      } catch (err) {
        throw new AgentConfigError((err as Error).message);
      }
    }
    const httpAddr = config.http === 'off' ? null : parseHttpAddress(config.http ?? DEFAULT_HTTP);
    const uuid = config.name !== undefined ? Swim.uuidFromName(config.name) : config.uuid;
    const swim = new Swim({
      uri: config.uri as string,
      ...(config.bind !== undefined && { bind: config.bind }),
      ...(uuid !== undefined && { uuid }),
      ...(config.seeds !== undefined && config.seeds.length > 0 && { seeds: config.seeds }),
      ...(config.payload !== undefined && { payload: config.payload }),
      ...(config.heartbeat !== undefined && { heartbeatRate: config.heartbeat }),
      ...(config.ackTimeout !== undefined && { ackTimeout: config.ackTimeout }),
      ...(config.gcMode !== undefined && { gcMode: config.gcMode }),
      ...(codec !== undefined && { codec }),
    });
    swim.on('member', (ev) => out.log(`member ${describeEvent(ev)}`));
    swim.on('conflict', (c) => out.warn(`conflict: another process at ${c.uri} claims our uuid ${c.uuid}`));
    swim.on('error', (err) => out.warn(`error: ${err.message}`));
    let http: SwimHttpServer | null = null;
    const agent = new Agent(swim, null, out);
    if (httpAddr !== null) {
      http = new SwimHttpServer(swim);
      try {
        const a = await http.listen(httpAddr.port, httpAddr.host);
        const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        agent.url = `http://${host}:${a.port}/`;
      } catch (err) {
        await swim.close();
        const e = err as NodeJS.ErrnoException;
        throw new AgentConfigError(`http ${httpAddr.host}:${httpAddr.port}: cannot listen (${e.code ?? e.message})`);
      }
    }
    (agent as { http: SwimHttpServer | null }).http = http;
    return agent;
  }

  /** Leaves the cluster (peers see `left`), then stops the HTTP server. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (!this.swim.closed) await this.swim.quit();
      await this.http?.close();
    })();
    return this.#stopping;
  }

  /** Stops at once (a second signal): no quit notice. */
  async abort(): Promise<void> {
    await this.swim.close();
    await this.http?.close();
  }
}
