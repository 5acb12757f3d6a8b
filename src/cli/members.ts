// `swim-native members`: an agent's member table (GET /members) as a table.
import { DEFAULT_HTTP } from '../agent';
import type { MemberJSON } from '../member';
import { parse, UsageError } from './common';

export const MEMBERS_USAGE = `usage: swim-native members [--agent URL] [--json]

  Prints the member table of a running agent (its GET /members).
  --agent URL   the agent's HTTP address (default: $SWIM_AGENT, else http://${DEFAULT_HTTP}/)
  --json        print the JSON as the agent sent it`;

export function formatTable(members: MemberJSON[]): string {
  const rows = [...members]
    .sort((a, b) => (a.isSelf === b.isSelf ? a.uri.localeCompare(b.uri) : a.isSelf ? -1 : 1))
    .map((m) => [
      m.uuid,
      m.uri,
      m.status + (m.isSelf ? ' (self)' : ''),
      `${m.incarnation.generation}.${m.incarnation.version}`,
      m.payload !== null ? JSON.stringify(m.payload) : m.payloadHex !== null ? `0x${m.payloadHex}` : '',
    ]);
  const head = ['UUID', 'URI', 'STATUS', 'INCARNATION', 'PAYLOAD'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export async function runMembers(argv: string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const { values } = parse('members', argv, { agent: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, names: '' });
  if (values.help) {
    io.out(`${MEMBERS_USAGE}\n`);
    return 0;
  }
  let base = (values.agent as string | undefined) ?? process.env.SWIM_AGENT ?? `http://${DEFAULT_HTTP}/`;
  if (!/^https?:\/\//.test(base)) base = `http://${base}`;
  let url: URL;
  try {
    url = new URL('members', base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new UsageError(`members: --agent: not a URL: '${base}'`);
  }
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    io.err(`swim-native members: cannot reach ${url.href}: ${cause?.code ?? cause?.message ?? (err as Error).message}\n`);
    return 1;
  }
  const text = await res.text();
  if (!res.ok) {
    io.err(`swim-native members: ${url.href}: HTTP ${res.status} ${text.trim()}\n`);
    return 1;
  }
  if (values.json) {
    io.out(text.endsWith('\n') ? text : `${text}\n`);
    return 0;
  }
  const body = JSON.parse(text) as { uuid: string; uri: string; members: MemberJSON[] };
  io.out(`${formatTable(body.members)}\n`);
  return 0;
}
