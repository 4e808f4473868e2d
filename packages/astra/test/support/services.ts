import { inject } from 'vitest';

/**
 * Which real servers the integration suites may use, decided once by the global setup.
 * With ASTRA_TEST_REQUIRE_SERVICES=1 (CI) every one must be reachable or the run fails at setup.
 */
export interface TestServices {
  readonly postgresUrl: string | null;
  readonly redisUrl: string | null;
  readonly memcached: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
    pgTemplateDatabase: string | null;
    pgliteTemplateDump: string | null;
  }
}

export function testServices(): TestServices {
  return inject('services');
}

/** A short unique prefix for keys and stream names, so test files share one server safely. */
export function uniquePrefix(label: string): string {
  return `t:${label}:${process.pid}:${Math.random().toString(36).slice(2, 10)}:`;
}
