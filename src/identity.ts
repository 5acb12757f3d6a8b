// Stable member identities: UUID v5 names in a namespace of ours (Swim.uuidFromName).
import { createHash } from 'node:crypto';

/**
 * The namespace of Swim.uuidFromName (RFC 4122 version 5 UUIDs). Fixed for ever: changing
 * it would give every member named this way a new identity.
 */
export const UUID_NAMESPACE = 'a7f1e0c2-5b3d-4c8e-9f60-2d4b8a1c7e35';

export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

