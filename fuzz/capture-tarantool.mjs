// Captures real datagrams from Tarantool 2.6's swim into fuzz/corpus/tarantool-*.bin, as
// seeds that no encoder of ours wrote: pings and acks with payloads, routed (indirect)
// pings, suspected/dead dissemination, quit. One-off tool: `node fuzz/capture-tarantool.mjs`.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'corpus');
const socks = await Promise.all([0, 1, 2].map(() => new Promise((resolve) => {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1', () => resolve(s));
})));
const ports = socks.map((s) => s.address().port);
const lua = `
local swim = require('swim')
local fiber = require('fiber')
local s = swim.new({generation = 12})
assert(s:cfg({uri = '127.0.0.1:0', uuid = '5c2b7f4e-9a6d-4f0b-8d3e-1a2b3c4d5e6f', heartbeat_rate = 0.05,
              ack_timeout = 0.15, gc_mode = 'off'}))
assert(s:set_payload({role = 'storage', shard = 3, tags = {'a', 'b'}}))
local ports = {${ports.join(',')}}
for i, p in ipairs(ports) do
  assert(s:add_member({uri = '127.0.0.1:' .. p, uuid = string.format('00000000-0000-4000-8000-%012d', i)}))
end
fiber.sleep(1.5)
s:quit()
fiber.sleep(0.2)
os.exit(0)
`;
const seen = new Map();
for (const s of socks) {
  s.on('message', (msg) => {
    // One file per distinct shape: which top-level sections, route or not, rough size.
    const key = `${msg.length >> 6}-${msg.includes(Buffer.from([0x03, 0x84])) ? 'r' : ''}-${msg[msg.length - 1]}`;
    if (!seen.has(key)) seen.set(key, msg);
  });
}
const child = spawn(process.env.TARANTOOL || 'tarantool', ['-e', lua], { stdio: ['ignore', 'inherit', 'inherit'] });
await new Promise((resolve) => child.on('exit', resolve));
for (const s of socks) s.close();
for (const f of fs.readdirSync(dir)) if (f.startsWith('tarantool-')) fs.rmSync(path.join(dir, f));
let n = 0;
for (const msg of [...seen.values()].slice(0, 16)) {
  const name = `tarantool-${createHash('sha1').update(msg).digest('hex').slice(0, 12)}.bin`;
  fs.writeFileSync(path.join(dir, name), msg);
  n++;
}
console.log(`capture-tarantool: wrote ${n} datagrams to ${dir}`);
