// `swim-native demo` (the package bin, also `npm start`): runs, shows the transitions, exits 0.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePacket, PacketCipher } from '../src/index';
import { Child, ROOT } from './helpers/child';

const CLI = path.join(ROOT, 'dist', 'cli.js');

describe('swim-native CLI', () => {
  it('demo: converges, a killed member goes suspected then dead, a quitting one leaves, exit 0', async () => {
    const res = await new Child([CLI, 'demo']).exited;
    expect(res.stderr).toBe('');
    expect(res).toMatchObject({ code: 0, signal: null });
    const out = res.stdout;
    expect(out).toMatch(/started 5 members/);
    expect(out).toMatch(/fullmesh: every member sees all 5/);
    // The membership table, with every member alive after convergence.
    expect(out).toMatch(/m1 sees {3}self {4}alive {3}alive {3}alive {3}alive/);
    // m5 is killed: suspected somewhere first, then dead for each of m1..m4.
    const suspected = out.search(/m\d sees m5: alive -> suspected/);
    expect(suspected).toBeGreaterThan(0);
    for (let i = 1; i <= 4; i++) {
      const dead = out.search(new RegExp(`m${i} sees m5: (alive|suspected) -> dead`));
      expect(dead, `m${i} sees m5 dead`).toBeGreaterThan(0);
      expect(dead).toBeGreaterThan(out.indexOf('killing m5'));
    }
    expect(out.indexOf('m5 is dead for everyone')).toBeGreaterThan(suspected);
    // m4 quits: m1..m3 see it leave.
    for (let i = 1; i <= 3; i++) expect(out).toMatch(new RegExp(`m${i} sees m4: alive -> left`));
    expect(out).toMatch(/m4 has left for everyone/);
    expect(out).toMatch(/m1 sent \d+ pings and \d+ acks, suspected \d+ and declared \d+ dead/);
    expect(out.trimEnd().endsWith('demo done')).toBe(true);
  });

  it('prints usage for --help (exit 0) and for an unknown command (exit 2)', async () => {
    const help = await new Child([CLI, '--help']).exited;
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: swim-native demo/);
    const bad = await new Child([CLI, 'frobnicate']).exited;
    expect(bad.code).toBe(2);
    const badArg = await new Child([CLI, 'demo', '--members', 'x']).exited;
    expect(badArg.code).toBe(2);
    expect(badArg.stderr).toMatch(/--members needs a positive number/);
  });

  it('--version, --help for each command, unknown commands and flags named (exit 2)', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const v = await new Child([CLI, '--version']).exited;
    expect(v).toMatchObject({ code: 0, stdout: `swim-native ${pkg.version}\n` });
    for (const cmd of ['demo', 'agent', 'members', 'decode']) {
      const h = await new Child([CLI, cmd, '--help']).exited;
      expect(h.code, cmd).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^usage: swim-native ${cmd}`));
      const h2 = await new Child([CLI, 'help', cmd]).exited;
      expect(h2.stdout).toBe(h.stdout);
    }
    const all = await new Child([CLI, '--help']).exited;
    for (const cmd of ['demo', 'agent', 'members', 'decode']) expect(all.stdout).toMatch(new RegExp(`swim-native ${cmd}`));
    const bad = await new Child([CLI, 'frobnicate']).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown command 'frobnicate'/);
    const badTop = await new Child([CLI, '--frob']).exited;
    expect(badTop).toMatchObject({ code: 2 });
    expect(badTop.stderr).toMatch(/unknown option '--frob'/);
    const badFlag = await new Child([CLI, 'members', '--agnet', 'x']).exited;
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/members: unknown option '--agnet'/);
    // A port nobody listens on.
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const unreachable = await new Child([CLI, 'members', '--agent', `http://127.0.0.1:${port}/`]).exited;
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}/members: ECONNREFUSED`));
  });

  it('decode: pretty-prints a datagram from hex or a file, decrypts with --key / --key-file, names rejections', async () => {
    const source = '00000000-0000-1000-8000-000000000001';
    const plain = encodePacket({
      meta: { version: 0x020600, uri: '127.0.0.1:3301' },
      source,
      failureDetection: { type: 'ping', incarnation: { generation: 5n, version: 2n } },
      dissemination: [
        { status: 'suspected', uri: '127.0.0.1:3302', uuid: '00000000-0000-1000-8000-000000000002', incarnation: { generation: 2n ** 63n, version: 3n }, payload: Buffer.from([0x81, 0xa1, 0x61, 0x01]) },
      ],
    });
    const res = await new Child([CLI, 'decode', plain.toString('hex')]).exited;
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { size: number; packet: Record<string, any> };
    expect(out.size).toBe(plain.length);
    expect(out.packet.source).toBe(source);
    expect(out.packet.meta.uri).toBe('127.0.0.1:3301');
    expect(out.packet.failureDetection).toEqual({ type: 'ping', incarnation: { generation: '5', version: '2' } });
    expect(out.packet.dissemination[0]).toMatchObject({
      status: 'suspected',
      incarnation: { generation: '9223372036854775808', version: '3' },
      payload: { hex: '81a16101', value: { a: 1 } },
    });

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swim-decode-'));
    try {
      // A raw file, and spaced hex.
      const file = path.join(dir, 'packet.bin');
      fs.writeFileSync(file, plain);
      expect(JSON.parse((await new Child([CLI, 'decode', file]).exited).stdout).packet.source).toBe(source);
      const spaced = plain.toString('hex').replace(/(..)/g, '$1 ');
      expect(JSON.parse((await new Child([CLI, 'decode', spaced]).exited).stdout).packet.source).toBe(source);

      // Encrypted: --key, --key-file (JSON form); without the key it is rejected.
      const key = Buffer.alloc(32, 9).toString('hex');
      const sealed = new PacketCipher({ algo: 'aes-gcm', keys: [Buffer.from(key, 'hex')] }).seal(plain);
      const k = await new Child([CLI, 'decode', sealed.toString('hex'), '--key', `aes-gcm:${key}`]).exited;
      expect(k.code).toBe(0);
      expect(JSON.parse(k.stdout)).toMatchObject({ cipher: 'aes-gcm', size: plain.length, packet: { source } });
      const cbc = new PacketCipher({ algo: 'aes256', mode: 'cbc', key: Buffer.from(key, 'hex') }).seal(plain);
      const keyFile = path.join(dir, 'key.json');
      fs.writeFileSync(keyFile, JSON.stringify({ algo: 'aes256', mode: 'cbc', key }), { mode: 0o600 });
      const kf = await new Child([CLI, 'decode', cbc.toString('hex'), `--key-file=${keyFile}`]).exited;
      expect(JSON.parse(kf.stdout)).toMatchObject({ cipher: 'aes256-cbc', packet: { source } });
      const wrong = await new Child([CLI, 'decode', sealed.toString('hex'), '--key', `aes-gcm:${Buffer.alloc(32, 1).toString('hex')}`]).exited;
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/the cipher rejected the datagram: unknown_key/);
      const nokey = await new Child([CLI, 'decode', sealed.toString('hex')]).exited;
      expect(nokey.code).toBe(1);
      expect(nokey.stderr).toMatch(/invalid SWIM packet: .*\(reason: \w+\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const truncated = await new Child([CLI, 'decode', plain.subarray(0, 20).toString('hex')]).exited;
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(/reason: truncated/);
    const notHex = await new Child([CLI, 'decode', 'zz-not-a-file']).exited;
    expect(notHex.code).toBe(2);
    expect(notHex.stderr).toMatch(/'zz-not-a-file' is neither hex digits nor a file/);
    const badKey = await new Child([CLI, 'decode', 'abcd', '--key', 'rot13:00']).exited;
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/--key: expected ALGO\[-MODE\]:HEX/);
    const none = await new Child([CLI, 'decode']).exited;
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/decode: missing the datagram/);
  });
});
