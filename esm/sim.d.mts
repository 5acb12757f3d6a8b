export * from '../dist/sim.js';
import * as api from '../dist/sim.js';
// esm/sim.mjs's default export: the whole CommonJS API object.
export default api;
