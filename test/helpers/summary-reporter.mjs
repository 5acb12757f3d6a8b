// Prints one plain closing line after vitest's own summary, e.g.
//   vitest: 41 passed, 0 failed, 2 skipped
// so that a CI log reader that knows no vitest output still sees the counts. A test file
// that failed to load (no test collected) counts as a failure.
export default class SummaryReporter {
  onTestRunEnd(testModules, unhandledErrors) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      let any = false;
      for (const test of mod.children.allTests()) {
        any = true;
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A module whose collection failed (import error, thrown describe) has no tests.
      if (!any && mod.state() === 'failed') failed++;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\nvitest: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
