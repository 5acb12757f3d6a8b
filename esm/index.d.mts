export * from '../dist/index.js';
import * as api from '../dist/index.js';
// esm/index.mjs's default export: the whole CommonJS API object.
export default api;
