/** Tarantool's cipher algorithms with their key sizes, and its modes: every pair is tested. */
export const ALGOS = [
  ['aes128', 16],
  ['aes192', 24],
  ['aes256', 32],
] as const;
export const MODES = ['ecb', 'cbc', 'cfb', 'ofb'] as const;
