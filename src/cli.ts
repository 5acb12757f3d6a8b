#!/usr/bin/env node
// swim-native CLI: `demo`, `agent`, `members`, `decode` (src/cli/*.ts). docs/operations.md.
import fs from 'node:fs';
import path from 'node:path';
import { AGENT_USAGE, runAgent } from './cli/agent';
import { UsageError } from './cli/common';
import { DECODE_USAGE, runDecode } from './cli/decode';
import { DEMO_USAGE, runDemo } from './cli/demo';
import { MEMBERS_USAGE, runMembers } from './cli/members';

const USAGE = `usage: swim-native demo [--members N] [--heartbeat SECONDS] [--ack-timeout SECONDS]
       swim-native agent --uri ADDR [--seeds H:P,...] [--http HOST:PORT] [options]
       swim-native members [--agent URL]
       swim-native decode <HEX | FILE | -> [--key KEY | --key-file FILE]
       swim-native --version | --help | <command> --help

  demo      a local cluster that converges, loses a member and sees another one leave
  agent     a long-running member with HTTP endpoints (members, metrics, health, live page)
  members   the member table of a running agent
  decode    pretty-print a SWIM datagram (decrypting it first with a key)`;

const COMMANDS: Record<string, { usage: string; run: (argv: string[], io: Io) => Promise<number> }> = {
  demo: { usage: DEMO_USAGE, run: (argv, io) => runDemo(argv, io.out) },
  agent: { usage: AGENT_USAGE, run: runAgent },
  members: { usage: MEMBERS_USAGE, run: runMembers },
  decode: { usage: DECODE_USAGE, run: runDecode },
};

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

// `swim-native demo | head`: a closed pipe ends the command quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

async function main(argv: string[]): Promise<number> {
  const io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic !== undefined && Object.hasOwn(COMMANDS, topic)) io.out(`${COMMANDS[topic].usage}\n`);
    else io.out(`${USAGE}\n`);
    return 0;
  }
  if (first === '--version' || first === '-v') {
    io.out(`swim-native ${version()}\n`);
    return 0;
  }
  const cmd = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  try {
    if (cmd === undefined) {
      throw new UsageError(first.startsWith('-') ? `unknown option '${first}'` : `unknown command '${first}'`);
    }
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`swim-native: ${err.message}\n${cmd?.usage ?? USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
