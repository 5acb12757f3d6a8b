// ESM entry: re-exports the CommonJS build, so ESM and CJS consumers share one module
// instance (one addon, one SwimError class).
import cjs from '../dist/index.js';

export const {
  SwimError,
  encodePacket,
  decodePacket,
  decodeErrorReasons,
  MAX_PACKET_SIZE,
  MAX_PAYLOAD_SIZE,
  PacketCipher,
  validateCodecConfig,
  Swim,
  EventMask,
  MemberEvent,
  DEFAULTS,
  State,
  UNCLOSED_WARNING_CODE,
  UUID_NAMESPACE,
  METRIC_DEFINITIONS,
  renderMetrics,
  PROMETHEUS_CONTENT_TYPE,
  registerSwimMetrics,
  SwimHttpServer,
} = cjs;
export default cjs;
