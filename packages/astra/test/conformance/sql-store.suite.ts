import { describe } from 'vitest';
import { describeConflictCases } from './sql/conflict-cases.js';
import { describeConstraintCases } from './sql/constraint-cases.js';
import { describeEventLogCases } from './sql/event-log-cases.js';
import { describeFaultCases } from './sql/fault-cases.js';
import { describeLifecycleCases } from './sql/lifecycle-cases.js';
import { describeMigrationCases } from './sql/migration-cases.js';
import { describeQueryCases } from './sql/query-cases.js';
import type { SqlStoreFixture, SqlStoreSubject } from './sql/sql-fixture.js';
import { describeTransactionCases } from './sql/transaction-cases.js';

export type { SqlStoreFixture, SqlStoreSubject };

/**
 * The SQL store port's conformance suite: every rule written on `ports/sql-store.ts`, plus the
 * kernel schema's constraints and the migration runner, run against one adapter. `subject.create`
 * must give a fresh database with every migration applied; connection-fault cases run only when
 * its fixtures can terminate connections, and real cross-connection conflicts only when the
 * adapter can hold two transactions open at once.
 */
export function describeSqlStoreConformance(
  name: string,
  subject: SqlStoreSubject,
  options: { faults: boolean },
): void {
  describe(`SqlStore conformance: ${name}`, () => {
    describeQueryCases(subject);
    describeTransactionCases(subject);
    describeConflictCases(subject);
    describeConstraintCases(subject);
    describeEventLogCases(subject);
    describeMigrationCases(subject);
    describeLifecycleCases(subject);
    if (options.faults) describeFaultCases(subject);
  });
}
