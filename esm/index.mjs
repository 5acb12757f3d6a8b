// ESM entry: re-exports the CommonJS build, so ESM and CJS consumers share one module
// instance (one addon, one SwimError class).
import cjs from '../dist/index.js';

export const {
  SwimError,
  Swim,
  EventMask,
  MemberEvent,
  DEFAULTS,
  MAX_PAYLOAD_SIZE,
  State,
  UNCLOSED_WARNING_CODE,
} = cjs;
export default cjs;
