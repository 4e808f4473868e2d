import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends every run with the line CI reads: `N passed, N failed, N skipped`, preceded by the note
 * the global setup left about integration suites it skipped (servers unreachable) and why.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (module.state() === 'failed' && !module.ok()) {
        const hasFailedTest = [...module.children.allTests()].some((t) => t.result().state === 'failed');
        if (!hasFailedTest) failed++;
      }
    }
    failed += unhandledErrors.length;
    const note = process.env.ASTRA_TEST_SKIP_NOTE;
    if (note) process.stdout.write(`\n${note}\n`);
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
