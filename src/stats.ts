// The counters swim.stats() returns (EngineStats is also a simulated node's).
import type { CipherDropReason } from './crypto';

/** The protocol's counters (since the member was created); a simulated node's too. */
export interface EngineStats {
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  /** Received datagrams dropped: the total of `drops`, but for `bad_address`, which also counts skipped member records. */
  packetsDropped: number;
  /**
   * Drops by reason: 'truncated', 'bad_type', 'nil_uuid', ..., 'wrong_destination', 'self_source',
   * and 'oversize' (over 1472 bytes, dropped on arrival before decryption or decoding, so not in
   * `packetsReceived`; always 0 in the simulator).
   */
  drops: Record<string, number>;
  pingsSent: number;
  acksSent: number;
  pingsReceived: number;
  acksReceived: number;
  indirectPingsSent: number;
  indirectPingsForwarded: number;
  ackTimeouts: number;
  /** Pings to seeds and to addresses of members removed after they died (healing). */
  healProbes: number;
  /** Packets or gossip of another claimant of our UUID (each one; 'conflict' is rate-limited). */
  conflicts: number;
  /** Members our own failure detection declared suspected (gossiped suspicions not counted). */
  suspicions: number;
  /** Members our own failure detection declared dead. */
  deaths: number;
  /** Rumours that we are suspected, dead or gone that we refuted (self version bumped). */
  refutations: number;
  /** Lifeguard: missed acks charged to this member itself (nobody answered it meanwhile). */
  ackTimeoutsSelf: number;
  /** Lifeguard: local health score now, 0 (healthy) to 8; timeouts stretch by (score + 1). */
  awareness: number;
}

/** Counters of one instance (since it was created). */
export interface SwimStats extends EngineStats {
  /** Sends the socket refused (unreachable network, ...). */
  sendErrors: number;
  /** Sends that waited for socket buffer space. */
  sendQueued: number;
  receiveErrors: number;
  /** Datagrams dropped by the encryption layer, both ways: total of `cipherDrops` and `sealErrors`. */
  transformDrops: number;
  /**
   * Received datagrams the codec rejected, by reason (every reason present, 0 when none).
   * They never reach the protocol, so they are not in `packetsReceived` nor `drops`.
   * A wrong key shows as `unknown_key` (aes-gcm) or mostly `decrypt_failed` (ecb/cbc); the
   * unauthenticated stream modes cfb/ofb decrypt anything, so there the packet decoder
   * rejects the junk and counts it in `drops` instead. `replay`: an authentic aes-gcm datagram
   * whose key id and nonce were already opened (docs/encryption.md#replays).
   */
  cipherDrops: Record<CipherDropReason, number>;
  /** Outgoing datagrams OpenSSL failed to encrypt (not sent). */
  sealErrors: number;
  /** Broadcast addresses the last broadcast() went to (0 on a loopback-only host). */
  broadcastTargets: number;
  /** Member events waiting for the JavaScript thread (merged per member while it is busy). */
  pendingEvents: number;
  /** The `seeds` option: addresses its names resolved to (handed to the protocol). */
  seedAddresses: number;
  /** The `seeds` option: seeds whose name does not resolve (retried every 30 s). */
  seedsUnresolved: number;
}
