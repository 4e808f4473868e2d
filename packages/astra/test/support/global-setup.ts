import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { hostPort, probePostgres, probeTcp } from './probe.js';
import type { TestServices } from './services.js';
import { prepareSqlTemplates } from './sql-templates.js';

/**
 * Runs once per test run. Finds which real servers are reachable, makes the integration suites
 * mandatory when ASTRA_TEST_REQUIRE_SERVICES=1 (CI sets it), and otherwise records one line saying
 * which suites are skipped and why; the summary reporter prints it at the end. It also compiles the
 * workspace once, because the end-to-end and crash suites run the built `astra` binary.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
  execFileSync(`${repoRoot}node_modules/.bin/tsc`, ['-b'], { cwd: repoRoot, stdio: 'inherit' });
  const postgresUrl = process.env.ASTRA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.ASTRA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const memcached = process.env.ASTRA_TEST_MEMCACHED ?? '127.0.0.1:11211';
  const redis = hostPort(redisUrl, 6379);
  const mc = hostPort(memcached, 11211);

  const [pgReason, redisReason, mcReason] = await Promise.all([
    probePostgres(postgresUrl),
    probeTcp('redis', redis.host, redis.port, 'PING\r\n', '+PONG'),
    probeTcp('memcached', mc.host, mc.port, 'version\r\n', 'VERSION'),
  ]);
  const reasons = [pgReason, redisReason, mcReason].filter((r): r is string => r !== null);
  if (reasons.length > 0) {
    if (process.env.ASTRA_TEST_REQUIRE_SERVICES === '1') {
      throw new Error(
        `integration servers are required (ASTRA_TEST_REQUIRE_SERVICES=1) but unreachable: ${reasons.join('; ')}`,
      );
    }
    process.env.ASTRA_TEST_SKIP_NOTE = `skipped: integration suites for unreachable servers (${reasons.join('; ')}); set ASTRA_TEST_REQUIRE_SERVICES=1 to make them mandatory`;
  }

  const services: TestServices = {
    postgresUrl: pgReason === null ? postgresUrl : null,
    redisUrl: redisReason === null ? redisUrl : null,
    memcached: mcReason === null ? memcached : null,
  };
  project.provide('services', services);
  const templates = await prepareSqlTemplates(services.postgresUrl);
  project.provide('pgTemplateDatabase', templates.pgTemplateDatabase);
  project.provide('pgliteTemplateDump', templates.pgliteTemplateDump);
  return templates.teardown;
}
