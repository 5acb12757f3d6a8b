export { SwimError } from './errors';
export type { SwimErrorCode } from './errors';
export { PacketCipher, validateCodecConfig } from './crypto';
export type { CodecConfig, CodecKey, CipherDropReason, TarantoolCipherAlgo, TarantoolCipherMode } from './crypto';
