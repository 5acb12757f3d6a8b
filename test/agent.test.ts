// `swim-native agent`: flags, config file, environment, codec key file, HTTP endpoints,
// leaving on SIGTERM/SIGINT, bad configurations; `swim-native members` against it;
// NODE_DEBUG=swim-native logging.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Swim } from '../src/index';
import type { MemberJSON } from '../src/member';
import { CLI, getJson, startAgent } from './helpers/agent';
import { Child } from './helpers/child';
import { membersForFile } from './helpers/members';
import { waitFor } from './helpers/wait';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swim-agent-'));
const { member, cleanup } = membersForFile();
cleanup(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Members = { uuid: string; uri: string; members: MemberJSON[] };

describe('swim-native agent', () => {
  it('runs from flags (--flag value and --flag=value), serves /members and /health, leaves on SIGTERM, exit 0', async () => {
    const peer = member({ payload: { role: 'peer' } });
    const a = await startAgent(
      ['--uri=127.0.0.1:0', '--name', 'agent-one', `--seeds=${peer.uri}`, '--payload', '{"role":"agent","n":1}', '--heartbeat=0.2', '--ack-timeout', '0.3'],
      { NODE_DEBUG: 'swim-native' },
    );
    cleanup(() => a.child.kill());
    expect(a.uuid).toBe(Swim.uuidFromName('agent-one'));
    expect(a.child.stdout).toMatch(/heartbeat 0\.2 s, ack timeout 0\.3 s, codec none/);

    const body = await waitFor(async () => {
      const r = await getJson<Members>(`${a.url}members`);
      return r.body.members.length === 2 && r.body.members.every((m) => m.status === 'alive') ? r : null;
    }, 15_000, { what: 'the agent seeing its peer' });
    expect(body.status).toBe(200);
    expect(body.type).toMatch(/^application\/json/);
    expect(body.body.uuid).toBe(a.uuid);
    const self = body.body.members.find((m) => m.isSelf) as MemberJSON;
    expect(self.payload).toEqual({ role: 'agent', n: 1 });
    expect(typeof self.incarnation.generation).toBe('string');
    expect(self.incarnation.generation).toMatch(/^\d+$/);
    const other = body.body.members.find((m) => !m.isSelf) as MemberJSON;
    expect(other).toMatchObject({ uuid: peer.uuid, uri: peer.uri, status: 'alive', payload: { role: 'peer' } });

    const health = await getJson<{ status: string; members: number; alive: number }>(`${a.url}health`);
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', members: 2, alive: 2 } });
    const missing = await fetch(`${a.url}nope`);
    expect(missing.status).toBe(404);
    expect((await fetch(`${a.url}members`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${a.url}events`, { method: 'HEAD' })).headers.get('content-type')).toMatch(/^text\/event-stream/);
    // The page itself: served as HTML, fed by /events.
    const page = await fetch(a.url);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain("new EventSource('events')");

    // `swim-native members --agent URL`: a table of both.
    const table = await new Child([CLI, 'members', '--agent', a.url]).exited;
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^UUID\s+URI\s+STATUS\s+INCARNATION\s+PAYLOAD/);
    expect(table.stdout).toMatch(new RegExp(`${a.uuid}\\s+\\S+\\s+alive \\(self\\)`));
    expect(table.stdout).toMatch(new RegExp(`${peer.uuid}\\s+${peer.uri.replace(/\./g, '\\.')}\\s+alive\\s+\\d+\\.\\d+\\s+\\{"role":"peer"\\}`));
    const asJson = await new Child([CLI, 'members', `--agent=${a.url}`, '--json']).exited;
    expect((JSON.parse(asJson.stdout) as Members).members).toHaveLength(2);

    // NODE_DEBUG=swim-native: the channels are printed (util.debuglog, on stderr).
    await waitFor(() => /SWIM-NATIVE \d+: \S+ member [0-9a-f-]{36} /.test(a.child.stderr), 5000, { what: 'debuglog lines' });

    // SIGTERM: it quits (the peer sees it leave), then exits 0.
    a.child.proc.kill('SIGTERM');
    const res = await a.child.exited;
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/SIGTERM: leaving the cluster/);
    await waitFor(() => peer.member(a.uuid)?.status === 'left', 10_000, { what: 'the peer seeing the agent leave' });
  });

  it('takes a config file and the environment (flags > env > file), a codec key file, and quits on SIGINT', async () => {
    const key = randomBytes(32).toString('hex');
    const keyFile = path.join(tmp, 'swim.key');
    fs.writeFileSync(keyFile, `aes-gcm:${key}\n`, { mode: 0o600 });
    const peer = member({ codec: { algo: 'aes-gcm', keys: [Buffer.from(key, 'hex')] } });
    const configFile = path.join(tmp, 'agent.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({ uri: '127.0.0.1:0', name: 'from-file', seeds: [peer.uri], payload: { from: 'file' }, heartbeat: 1, ackTimeout: 0.3, codecKeyFile: 'swim.key' }),
    );
    const a = await startAgent(['--config', configFile, '--payload', '{"from":"flag"}'], {
      SWIM_HEARTBEAT: '0.2',
      SWIM_NAME: 'from-env',
    });
    cleanup(() => a.child.kill());
    expect(a.uuid).toBe(Swim.uuidFromName('from-env'));
    expect(a.child.stdout).toMatch(/heartbeat 0\.2 s, ack timeout 0\.3 s, codec aes-gcm/);
    const body = await waitFor(async () => {
      const r = await getJson<Members>(`${a.url}members`);
      return r.body.members.length === 2 && r.body.members.every((m) => m.status === 'alive') ? r.body : null;
    }, 15_000, { what: 'the encrypted agent seeing its peer' });
    expect(body.members.find((m) => m.isSelf)?.payload).toEqual({ from: 'flag' });
    expect(peer.member(a.uuid)?.payload).toEqual({ from: 'flag' });
    a.child.proc.kill('SIGINT');
    expect((await a.child.exited).code).toBe(0);
    await waitFor(() => peer.member(a.uuid)?.status === 'left', 10_000, { what: 'the peer seeing the agent leave' });
  });

  it('exits non-zero with a message naming the problem for a bad configuration', async () => {
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      new Child([CLI, 'agent', '--http', 'off', ...args], { env: { SWIM_URI: '', ...env } }).exited;
    const cases: Array<[string[], NodeJS.ProcessEnv, number, RegExp]> = [
      [[], {}, 1, /no address: give --uri/],
      [['--uri', '127.0.0.1:0', '--heartbeat=abc'], {}, 1, /--heartbeat: expected a number of seconds, got 'abc'/],
      [['--uri', '127.0.0.1:0'], { SWIM_ACK_TIMEOUT: 'x' }, 1, /SWIM_ACK_TIMEOUT: expected a number/],
      [['--uri', '127.0.0.1:0', '--heartbeat=-1'], {}, 1, /heartbeatRate/],
      [['--uri', 'nowhere:1'], {}, 1, /bad configuration: .*uri/],
      [['--uri', '127.0.0.1:0', '--payload', '{oops'], {}, 1, /--payload: not valid JSON/],
      [['--uri', '127.0.0.1:0', '--codec-key-file', path.join(tmp, 'missing.key')], {}, 1, /codec key file .*missing\.key: ENOENT/],
      [['--uri', '127.0.0.1:0', '--config', path.join(tmp, 'missing.json')], {}, 1, /config file .*missing\.json: ENOENT/],
      [['--uri', '127.0.0.1:0', '--frobnicate'], {}, 2, /unknown option '--frobnicate'/],
      [['--uri'], {}, 2, /option '--uri <value>' argument missing/],
      [['--uri', '127.0.0.1:0', 'extra'], {}, 2, /unexpected argument 'extra'/],
    ];
    const badKey = path.join(tmp, 'bad.key');
    fs.writeFileSync(badKey, 'aes256-cbc:0011\n', { mode: 0o600 });
    cases.push([['--uri', '127.0.0.1:0', '--codec-key-file', badKey], {}, 1, /aes256 key must be exactly 32 bytes, got 2/]);
    const badConfig = path.join(tmp, 'bad.json');
    fs.writeFileSync(badConfig, JSON.stringify({ uri: '127.0.0.1:0', heartbeat_rate: 1 }));
    cases.push([['--config', badConfig], {}, 1, /unknown setting "heartbeat_rate"/]);
    const results = await Promise.all(cases.map(([args, env]) => run(args, env)));
    results.forEach((res, i) => {
      const [args, , code, message] = cases[i];
      expect({ args, code: res.code }).toEqual({ args, code });
      expect(res.stderr, args.join(' ')).toMatch(message);
    });
  });
});
