// JSON for values that JSON.stringify cannot write as they are (bigints, bytes, Maps):
// Member.toJSON(), the agent's HTTP answers, `swim-native decode`.

/** `value` made JSON-safe: bigints as decimal strings, bytes as hex strings, Maps as objects. */
export function jsonSafe(value: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return null;
  if (value === null || typeof value !== 'object') {
    return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
  }
  if (depth > 32) return null;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => jsonSafe(v, depth + 1));
  if (value instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of value) o[String(k)] = jsonSafe(v, depth + 1);
    return o;
  }
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) o[k] = jsonSafe(v, depth + 1);
  return o;
}
