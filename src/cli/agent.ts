// `swim-native agent`: one long-running member with an HTTP server (src/agent.ts).
import { Agent, AGENT_ENV, AgentConfigError, DEFAULT_HTTP, resolveAgentConfig } from '../agent';
import { SwimError } from '../errors';
import { parse, stringFlags } from './common';

export const AGENT_USAGE = `usage: swim-native agent --uri ADDR [options]

  Runs one SWIM member until SIGTERM or SIGINT, when it quits (peers see it leave) and
  exits 0. Serves GET /members, /metrics, /health, / (a live page) and /events over HTTP.

  --uri ADDR             address to announce: a.b.c.d:port, 0.0.0.0:port, port (required)
  --bind ADDR            address to bind, when it differs from --uri
  --name NAME            stable identity: the UUID is Swim.uuidFromName(NAME)
  --uuid UUID            explicit UUID (instead of --name)
  --seeds H:P,H:P        addresses to join through (kept, retried)
  --payload JSON         this member's payload, a JSON value
  --heartbeat SECONDS    round step period (default 0.5)
  --ack-timeout SECONDS  ack timeout (default 0.5)
  --gc-mode on|off       remove dead members (default on)
  --codec-key-file FILE  encrypt with the key in FILE (ALGO[-MODE]:HEX or JSON; docs/operations.md)
  --http HOST:PORT       HTTP server address, or 'off' (default ${DEFAULT_HTTP})
  --config FILE          a JSON file with the same settings (uri, bind, name, uuid, seeds,
                         payload, heartbeat, ackTimeout, gcMode, codecKeyFile, http)

  Every flag also comes from the environment: ${AGENT_ENV.join(', ')}.
  Precedence: flags, then the environment, then the config file.
  Exit codes: 0 after a signal, 1 for a bad configuration, 2 for a bad command line.`;

export async function runAgent(
  argv: string[],
  io: { out: (s: string) => void; err: (s: string) => void },
): Promise<number> {
  const strings = ['uri', 'bind', 'name', 'uuid', 'seeds', 'payload', 'heartbeat', 'ack-timeout', 'gc-mode', 'codec-key-file', 'http', 'config'];
  const { values } = parse('agent', argv, Object.fromEntries(strings.map((s) => [s, { type: 'string' as const }])), {
    min: 0,
    max: 0,
    names: '',
  });
  if (values.help) {
    io.out(`${AGENT_USAGE}\n`);
    return 0;
  }
  const log = (line: string): void => io.out(`${new Date().toISOString()} ${line}\n`);
  const output = { log, warn: (line: string) => io.err(`swim-native agent: ${line}\n`) };
  let agent: Agent;
  try {
    agent = await Agent.start(resolveAgentConfig(stringFlags(values)), output);
  } catch (err) {
    if (err instanceof AgentConfigError || err instanceof SwimError) {
      io.err(`swim-native agent: bad configuration: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const c = agent.swim.config;
  log(`agent ${agent.swim.uuid} at ${agent.swim.uri} (bind ${c.bind}, heartbeat ${c.heartbeatRate} s, ack timeout ${c.ackTimeout} s, codec ${c.codec})`);
  if (agent.url !== null) log(`http ${agent.url}`);
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (++signals > 1) {
        log(`${sig} again: stopping without notice`);
        agent.abort().then(() => resolve(1), () => resolve(1));
        return;
      }
      log(`${sig}: leaving the cluster`);
      agent.stop().then(
        () => {
          log('left');
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          resolve(0);
        },
        (err: Error) => {
          io.err(`swim-native agent: quit failed: ${err.message}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    agent.swim.once('close', () => {
      // Closed by itself (the worker failed): nothing left to serve.
      if (signals === 0) {
        io.err('swim-native agent: the member stopped on its own\n');
        void agent.http?.close();
        resolve(1);
      }
    });
  });
}
