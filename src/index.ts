export { SwimError } from './errors';
export type { SwimErrorCode } from './errors';
export { Swim } from './swim';
export type { SwimStats, SwimEventMap } from './swim';
export { EventMask, MemberEvent } from './member';
export type { Member, MemberStatus, Incarnation } from './member';
export { DEFAULTS, MAX_PAYLOAD_SIZE } from './config';
export type { SwimOptions, SwimConfigPatch } from './config';
export { State, UNCLOSED_WARNING_CODE } from './lifecycle';
