export { SwimError } from './errors';
export type { SwimErrorCode } from './errors';
export { encodePacket, decodePacket, decodeErrorReasons, MAX_PACKET_SIZE, MAX_PAYLOAD_SIZE } from './codec';
export type {
  Incarnation,
  MemberStatus,
  MemberRecord,
  Packet,
  IncarnationInput,
  PacketInput,
  DecodeErrorReason,
} from './codec';
export { PacketCipher, validateCodecConfig } from './crypto';
export type { CodecConfig, CodecKey, CipherDropReason, TarantoolCipherAlgo, TarantoolCipherMode } from './crypto';
export { Swim, UUID_NAMESPACE } from './swim';
export type { SwimStats, SwimEventMap, JoinFailure } from './swim';
export { EventMask, MemberEvent } from './member';
export type { Member, MemberJSON } from './member';
export type { MembershipChange } from './change';
export { METRIC_DEFINITIONS, renderMetrics, PROMETHEUS_CONTENT_TYPE } from './metrics';
export type { MetricDefinition, MetricsSnapshot } from './metrics';
export { registerSwimMetrics } from './prometheus';
export type { SwimMetricsOptions, PromClientModule, PromRegistry } from './prometheus';
export { SwimHttpServer } from './http';
export type { SwimHttpOptions, TimelineEntry } from './http';
export { DEFAULTS } from './config';
export type { SwimOptions, SwimConfigPatch } from './config';
export { State, UNCLOSED_WARNING_CODE } from './lifecycle';
