// The package's CommonJS entry ("main", exports "require" of "swim-native"): the API of
// ./index plus a `default` export that is the API itself. With it, `import swim from
// 'swim-native'` works everywhere it type-checks: ESM gets esm/index.mjs's default, and
// CommonJS output compiled with esModuleInterop (whose __importDefault reads `.default` of an
// __esModule module) gets this one. Same module instance as ./index (one addon, one SwimError).
import * as api from './index';

export * from './index';
export default api;
