// ESM entry of swim-native/sim: re-exports the CommonJS build (one addon instance, one
// SwimError class for ESM and CJS consumers alike).
import cjs from '../dist/sim.js';

export const { Simulation, EventMask, MemberEvent, SwimError } = cjs;
export default cjs;
