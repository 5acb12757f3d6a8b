import { defineConfig } from 'vitest/config';

// Native addons and worker threads do not mix: every test file runs in its own forked process.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Children spawned by tests load dist/: build it once before any test file runs. Every
    // process loads the test build of the addon (hooks compiled in) through SWIM_NATIVE_BINARY.
    globalSetup: ['./test/helpers/build-dist.mjs', './test/helpers/test-addon.mjs'],
    // The default report, then one plain "N passed, N failed" line for log readers.
    reporters: ['default', './test/helpers/summary-reporter.mjs'],
  },
});
