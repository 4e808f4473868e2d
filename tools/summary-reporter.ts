import type { Reporter, TestModule } from 'vitest/node';

/** How many of the slowest test files a run of many files lists before its summary line. */
const SLOWEST = 12;

/**
 * Ends every run with the line CI reads: `N passed, N failed, N skipped`, preceded by the slowest
 * test files (where CI time goes, when a run has more files than that), and by the note the
 * global setup left about integration suites it skipped (servers unreachable) and why.
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
    if (testModules.length > SLOWEST) process.stdout.write(slowest(testModules));
    const note = process.env.ASTRA_TEST_SKIP_NOTE;
    if (note) process.stdout.write(`\n${note}\n`);
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

function slowest(testModules: ReadonlyArray<TestModule>): string {
  const root = `${process.cwd()}/`;
  const rows = testModules
    .map((module) => {
      const d = module.diagnostic();
      return { file: module.moduleId.replace(root, ''), ms: d.collectDuration + d.duration };
    })
    .sort((a, b) => b.ms - a.ms)
    .slice(0, SLOWEST);
  const lines = rows.map((row) => `  ${(row.ms / 1000).toFixed(1).padStart(6)} s  ${row.file}`);
  return `\nslowest test files (import + tests and hooks):\n${lines.join('\n')}\n`;
}
