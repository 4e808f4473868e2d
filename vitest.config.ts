import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests use the SDK's sources, so they never run against a stale build.
    alias: { '@astra/sdk': fileURLToPath(new URL('./packages/sdk/src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    globalSetup: ['packages/astra/test/support/global-setup.ts'],
    reporters: ['default', './tools/summary-reporter.ts'],
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one file at a time on a 2-core CI machine,
    // though much of a file's time is waiting (child processes starting, Postgres, lease and poll
    // intervals). One more than the cores, at most 4 (a file may hold a dozen Postgres
    // connections); `--maxWorkers N` overrides it (docs/testing.md).
    maxWorkers: Math.min(availableParallelism() + 1, 4),
    testTimeout: 30_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
