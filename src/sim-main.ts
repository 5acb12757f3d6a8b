// The CommonJS entry of "swim-native/sim": ./sim plus a `default` export that is the API
// itself, as src/main.ts does for the package root.
import * as api from './sim';

export * from './sim';
export default api;
