// The 'change' event: one summary of a delivered batch of member events (src/swim.ts emits it).
import { EventMask, type Member, type MemberEvent } from './member';

/**
 * The `'change'` event: what changed in the view since the previous one (one per delivered
 * batch of member events). Each list holds the members' latest state; a member appears in
 * the one list that fits its latest change best.
 */
export interface MembershipChange {
  /** New in the table (first seen, or seen again after it was dropped). */
  joined: Member[];
  /** Now `left`: they quit. */
  left: Member[];
  /** Now `dead`: failure detection gave up on them. */
  failed: Member[];
  /** Now `suspected`. */
  suspected: Member[];
  /** Alive again after a suspicion, death or quit (a refutation or a restart). */
  recovered: Member[];
  /** Removed from the table (dead or left long enough, or removeMember()). */
  dropped: Member[];
  /** Anything else: a new payload, address or incarnation. */
  updated: Member[];
  /** The events this summarises, in delivery order. */
  events: MemberEvent[];
}

/** Summarises a batch of member events into one MembershipChange. */
export function summarizeEvents(events: readonly MemberEvent[]): MembershipChange {
  // Per member, the events of the batch merged (a member may appear more than once).
  const merged = new Map<string, { member: Member; mask: number }>();
  for (const ev of events) {
    const prev = merged.get(ev.member.uuid);
    if (prev === undefined) merged.set(ev.member.uuid, { member: ev.member, mask: ev.mask });
    else {
      // A drop then a new event is a member seen again: report the re-add.
      prev.mask = ev.isNew ? ev.mask : prev.mask | ev.mask;
      prev.member = ev.member;
    }
  }
  const c: MembershipChange = { joined: [], left: [], failed: [], suspected: [], recovered: [], dropped: [], updated: [], events: [...events] };
  for (const { member, mask } of merged.values()) {
    if (mask & EventMask.DROP) c.dropped.push(member);
    else if (mask & EventMask.NEW) c.joined.push(member);
    else if (mask & EventMask.NEW_STATUS) {
      if (member.status === 'left') c.left.push(member);
      else if (member.status === 'dead') c.failed.push(member);
      else if (member.status === 'suspected') c.suspected.push(member);
      else c.recovered.push(member);
    } else c.updated.push(member);
  }
  return c;
}
