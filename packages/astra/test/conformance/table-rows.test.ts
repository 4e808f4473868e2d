import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalRow, eventRow, goalRow, graphRow, taskRow } from '../../src/kernel/index.js';
import { shardLeaseRow } from '../../src/kernel/scheduler/shard-leases.js';
import { approvalDecisionRow, goalDependencyRow } from '../../src/kernel/tasks/rows.js';
import { workerRow } from '../../src/kernel/workers/worker-store.js';
import type { RowDecoder } from '../../src/ports/sql-rows.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import {
  accessDecisionRow,
  collaboratorRow,
  invitationRow,
  organizationRow,
  orgMembershipRow,
  policySetRow,
  teamMembershipRow,
  teamRow,
} from '../../src/services/access/rows.js';
import { agentRow } from '../../src/services/agents/agent-store.js';
import { documentRow } from '../../src/services/agents/document-store.js';
import { rateWindowRow } from '../../src/services/agents/rate-windows.js';
import { revisionRow } from '../../src/services/agents/revision-store.js';
import { chatMessageRow, chatSessionRow } from '../../src/services/chat/index.js';
import { budgetCounterRow, budgetReservationRow, usageRow } from '../../src/services/cost/index.js';
import {
  datasetItemRow,
  datasetRow,
  evalExperimentItemRow,
  evalExperimentRow,
  evaluationRow,
  evaluationSpecRow,
} from '../../src/services/evaluation/index.js';
import { apiKeyRow } from '../../src/services/identity/api-keys.js';
import { refreshTokenRow } from '../../src/services/identity/refresh-tokens.js';
import { serviceTokenRow } from '../../src/services/identity/service-tokens.js';
import { signingKeyRow } from '../../src/services/identity/signing-keys-at-rest.js';
import { userRow } from '../../src/services/identity/user-store.js';
import { mcpServerRow } from '../../src/services/mcp/index.js';
import { episodeRow, janitorStateRow, memoryRow, retentionRow } from '../../src/services/memory/index.js';
import {
  assignmentRow,
  experimentRow,
  outcomeRow,
  promptTemplateRow,
} from '../../src/services/prompts/index.js';
import { taskArtifactRow } from '../../src/services/tools/artifact-ledger.js';
import { egressLogRow } from '../../src/services/tools/egress-log.js';
import { effectRow } from '../../src/services/tools/index.js';
import { toolRow } from '../../src/services/tools/tool-store.js';
import { isoTimestamp, isoTimestampSql } from '../../src/time/iso.js';
import { createTestStore, sqlBackends } from '../support/sql.js';

/**
 * Every table's one row decoder against the migrated schema, on every backend: each column it
 * reads exists with a SQL type the column decoder takes, and admits NULL exactly when the
 * column does (a decoder stricter than the schema would fail on a valid row; a looser one would
 * type a NOT NULL column as nullable). No table has two decoders, and every table has one unless
 * UNDECODED says why not.
 */
const DECODERS: readonly RowDecoder<unknown>[] = [
  goalRow,
  goalDependencyRow,
  graphRow,
  taskRow,
  eventRow,
  approvalRow,
  approvalDecisionRow,
  workerRow,
  shardLeaseRow,
  agentRow,
  chatSessionRow,
  chatMessageRow,
  documentRow,
  revisionRow,
  budgetCounterRow,
  budgetReservationRow,
  usageRow,
  memoryRow,
  episodeRow,
  retentionRow,
  janitorStateRow,
  rateWindowRow,
  userRow,
  apiKeyRow,
  serviceTokenRow,
  refreshTokenRow,
  signingKeyRow,
  organizationRow,
  teamRow,
  orgMembershipRow,
  teamMembershipRow,
  collaboratorRow,
  invitationRow,
  policySetRow,
  accessDecisionRow,
  toolRow,
  effectRow,
  egressLogRow,
  mcpServerRow,
  taskArtifactRow,
  promptTemplateRow,
  experimentRow,
  assignmentRow,
  outcomeRow,
  evaluationSpecRow,
  evaluationRow,
  datasetRow,
  datasetItemRow,
  evalExperimentRow,
  evalExperimentItemRow,
];

/** Tables no store reads a row of, and why. */
const UNDECODED: Readonly<Record<string, string>> = {
  schema_migrations: "the migration runner's own (adapters/sql/migrate.ts)",
  task_dependencies: 'read only through aggregates (array_agg, jsonb_object_agg) of the tasks it links',
  scheduler_instances: 'only counted',
  plan_versions:
    'read only joined with its goal (version 1 takes the plan from goals.plan): kernel/tasks/sql/plan-versions.ts decodes those results',
  task_history:
    "read as tasks: the same columns, read with taskRow's decoder in the reads' UNION ALL (kernel/tasks/sql/read.ts)",
  retention_partitions:
    'read with its bounds as epoch milliseconds (kernel/retention/sql/partitions.ts decodes that)',
};

interface SchemaColumn {
  readonly udt: string;
  readonly nullable: boolean;
}

it('no table has two row decoders', () => {
  const tables = DECODERS.map((decoder) => decoder.table);
  expect(tables.length).toBe(new Set(tables).size);
});

describe.each(sqlBackends())('table row decoders on %s', (backend) => {
  let db: { store: SqlStore; drop(): Promise<void> };
  let schema: Map<string, SchemaColumn>;

  beforeAll(async () => {
    db = await createTestStore(backend);
    const { rows } = await db.store.query<{
      table_name: string;
      column_name: string;
      udt_name: string;
      is_nullable: string;
    }>(
      // A partition (of events, task_history) has its parent's columns and is read through it.
      `SELECT table_name, column_name, udt_name, is_nullable FROM information_schema.columns
       WHERE table_schema = current_schema()
         AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition)`,
    );
    schema = new Map(
      rows.map((row) => [
        `${row.table_name}.${row.column_name}`,
        { udt: row.udt_name, nullable: row.is_nullable === 'YES' },
      ]),
    );
  });
  afterAll(() => db.drop());

  it('writes timestamps into JSON in the format the decoders give (isoTimestampSql = isoTimestamp)', async () => {
    const at = '2024-05-01 12:00:00.123999+00';
    const { rows } = await db.store.query<{ body: { at: string; none: null } }>(
      `SELECT jsonb_build_object('at', ${isoTimestampSql('$1::timestamptz')}, 'none', ${isoTimestampSql('NULL::timestamptz')}) AS body`,
      [at],
    );
    expect(rows[0]?.body).toEqual({ at: isoTimestamp(at), none: null });
    expect(isoTimestamp(at)).toBe('2024-05-01T12:00:00.123Z');
  });

  it('every table has a row decoder, or a reason why none reads its rows', () => {
    const tables = new Set([...schema.keys()].map((name) => name.split('.')[0] as string));
    const decoded = new Set([...DECODERS.map((decoder) => decoder.table), ...Object.keys(UNDECODED)]);
    expect([...tables].filter((table) => !decoded.has(table)).sort()).toEqual([]);
    expect([...decoded].filter((table) => !tables.has(table)).sort()).toEqual([]);
  });

  it.each(DECODERS.map((decoder) => [decoder.table, decoder] as const))(
    '%s: every column exists, of a type its decoder takes, nullable exactly when the schema says',
    (_table, decoder) => {
      const mismatches: string[] = [];
      for (const column of decoder.ownColumns()) {
        const name = `${column.table}.${column.column}`;
        const actual = schema.get(name);
        if (actual === undefined) mismatches.push(`${name}: no such column`);
        else {
          if (!column.sqlTypes.includes(actual.udt))
            mismatches.push(`${name}: ${actual.udt} is not read as ${column.expected}`);
          if (column.nullable !== actual.nullable)
            mismatches.push(
              `${name}: ${actual.nullable ? 'nullable' : 'NOT NULL'}, decoded as ${column.expected}`,
            );
        }
      }
      expect(mismatches).toEqual([]);
    },
  );
});
