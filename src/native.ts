// Loads the addon: a prebuilt binary from prebuilds/ when one matches, else build/Release.
import * as path from 'node:path';
import nodeGypBuild from 'node-gyp-build';

/** The raw addon. Only the TypeScript layer talks to it; its shape is internal. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const native: any = nodeGypBuild(path.join(__dirname, '..'));
