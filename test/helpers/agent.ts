// A `swim-native agent` child process (dist/cli.js), with its HTTP address read from its output.
import path from 'node:path';
import { Child, ROOT } from './child';

export const CLI = path.join(ROOT, 'dist', 'cli.js');

export interface AgentChild {
  child: Child;
  /** 'http://127.0.0.1:port/' */
  url: string;
  uuid: string;
  uri: string;
}

/** Starts an agent (HTTP on a free port unless args say otherwise) and waits for its address. */
export async function startAgent(args: string[], env: NodeJS.ProcessEnv = {}): Promise<AgentChild> {
  const withHttp = args.some((a) => a.startsWith('--http')) ? args : [...args, '--http', '127.0.0.1:0'];
  const child = new Child([CLI, 'agent', ...withHttp], { env });
  const started = await child.line((l) => / agent [0-9a-f-]{36} at /.test(l), 20_000, 'the agent start line');
  const [, uuid, uri] = / agent ([0-9a-f-]{36}) at (\S+)/.exec(started) as RegExpExecArray;
  const httpLine = await child.line((l) => / http http:\/\//.test(l), 20_000, 'the agent http line');
  const url = / http (\S+)/.exec(httpLine)?.[1] as string;
  return { child, url, uuid, uri };
}

export async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T, type: res.headers.get('content-type') };
}
