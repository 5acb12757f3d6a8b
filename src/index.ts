export { SwimError } from './errors';
export type { SwimErrorCode } from './errors';
