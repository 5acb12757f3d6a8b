// Codec keys for the CLI: `--codec-key-file` (agent) and `--key` / `--key-file` (decode).
//
// A key is given in one of two forms (docs/operations.md#codec-key-file):
// - text: `ALGO[-MODE]:HEX[,HEX...]`, e.g. `aes256-cbc:00112233...`, `aes-gcm:KEY1,KEY2`
//   (primary first), or `none`; whitespace around it is ignored;
// - JSON: a CodecConfig whose keys are hex strings, e.g.
//   `{ "algo": "aes-gcm", "keys": ["00112233..."] }` or `{ "algo": "aes256", "mode": "cbc", "key": "..." }`.
import fs from 'node:fs';
import { normalizeCodecConfig, wipeCodecConfig, type CodecConfig } from '../crypto';

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

function hexKey(s: unknown, where: string): Buffer {
  if (typeof s !== 'string' || !HEX.test(s)) throw new Error(`${where}: a key must be an even number of hex digits`);
  return Buffer.from(s, 'hex');
}

/** Parses a key in the text or JSON form into a CodecConfig (validated); `where` names it in errors. */
export function parseCodecKey(text: string, where: string): CodecConfig {
  const t = text.trim();
  let config: CodecConfig;
  if (t.startsWith('{')) {
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(t) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${where}: not valid JSON: ${(err as Error).message}`);
    }
    if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new Error(`${where}: expected a JSON object`);
    const c: Record<string, unknown> = { ...j };
    if (c.key !== undefined) c.key = hexKey(c.key, where);
    if (Array.isArray(c.keys)) c.keys = c.keys.map((k, i) => hexKey(k, `${where}: keys[${i}]`));
    config = c as unknown as CodecConfig;
  } else if (t === 'none') {
    config = { algo: 'none' };
  } else {
    const m = /^(aes-gcm|aes128|aes192|aes256)(?:-(ecb|cbc|cfb|ofb))?:(.+)$/.exec(t);
    if (m === null)
      throw new Error(`${where}: expected ALGO[-MODE]:HEX (e.g. aes256-cbc:<64 hex digits>, aes-gcm:<hex>[,<hex>...]) or a JSON CodecConfig`);
    const keys = m[3].split(',').map((k, i) => hexKey(k.trim(), `${where}: key ${i + 1}`));
    if (m[1] === 'aes-gcm') {
      if (m[2] !== undefined) throw new Error(`${where}: aes-gcm takes no mode`);
      config = { algo: 'aes-gcm', keys };
    } else {
      if (keys.length !== 1) throw new Error(`${where}: ${m[1]} takes exactly one key`);
      config = { algo: m[1] as 'aes256', mode: (m[2] ?? 'cbc') as 'cbc', key: keys[0] };
    }
  }
  try {
    wipeCodecConfig(normalizeCodecConfig(config, where));
  } catch (err) {
    throw new Error((err as Error).message);
  }
  return config;
}

/** Reads and parses a key file; warns (through `warn`) when others may read it. */
export function readCodecKeyFile(file: string, warn: (msg: string) => void = () => {}): CodecConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
    const mode = fs.statSync(file).mode;
    if ((mode & 0o077) !== 0) warn(`codec key file ${file} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  } catch (err) {
    throw new Error(`codec key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseCodecKey(text, `codec key file ${file}`);
}
