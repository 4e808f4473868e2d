import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../../src/ports/sql-store.js';
import {
  countRows,
  expectAstraError,
  type KernelRows,
  type SqlStoreFixture,
  type SqlStoreSubject,
  seedKernelRows,
} from './sql-fixture.js';

/**
 * Every state column of the kernel tables, with the statement that writes one value into it.
 * The allowed values must all be accepted and anything else refused by the named CHECK.
 */
interface StateColumn {
  readonly table: string;
  readonly constraint: string;
  readonly allowed: readonly string[];
  readonly insert: (rows: KernelRows) => { text: string; params: unknown[] };
}

const STATE_COLUMNS: readonly StateColumn[] = [
  {
    table: 'agents',
    constraint: 'agents_status_check',
    allowed: ['active', 'stopped', 'error'],
    insert: () => ({ text: `INSERT INTO agents (name, status) VALUES ('a', $1)`, params: [] }),
  },
  {
    table: 'goals',
    constraint: 'goals_status_check',
    allowed: ['pending', 'blocked', 'active', 'completed', 'failed', 'cancelled'],
    insert: (r) => ({
      text: `INSERT INTO goals (agent_id, goal_text, status) VALUES ($2, 'g', $1)`,
      params: [r.agentId],
    }),
  },
  {
    table: 'task_graphs',
    constraint: 'task_graphs_status_check',
    allowed: ['active', 'completed', 'failed', 'cancelled'],
    insert: (r) => ({
      text: 'INSERT INTO task_graphs (goal_id, agent_id, status) VALUES ($2, $3, $1)',
      params: [r.goalId, r.agentId],
    }),
  },
  {
    table: 'tasks',
    constraint: 'tasks_status_check',
    allowed: [
      'created',
      'pending',
      'queued',
      'scheduled',
      'running',
      'completed',
      'failed',
      'dead_letter',
      'cancelled',
    ],
    insert: (r) => ({
      text: `INSERT INTO tasks (graph_id, goal_id, agent_id, type, status) VALUES ($2, $3, $4, 't', $1)`,
      params: [r.graphId, r.goalId, r.agentId],
    }),
  },
  {
    table: 'tasks',
    constraint: 'tasks_on_dependency_failure_check',
    allowed: ['fail', 'skip'],
    insert: (r) => ({
      text: `INSERT INTO tasks (graph_id, goal_id, agent_id, type, on_dependency_failure) VALUES ($2, $3, $4, 't', $1)`,
      params: [r.graphId, r.goalId, r.agentId],
    }),
  },
  {
    table: 'workers',
    constraint: 'workers_status_check',
    allowed: ['active', 'draining', 'offline'],
    insert: () => ({ text: `INSERT INTO workers (hostname, status) VALUES ('h', $1)`, params: [] }),
  },
];

export function describeConstraintCases(subject: SqlStoreSubject): void {
  describe('constraints of the kernel schema', () => {
    let fixture: SqlStoreFixture;
    let store: SqlStore;
    let rows: KernelRows;
    beforeAll(async () => {
      fixture = await subject.create();
      store = fixture.store;
      rows = await seedKernelRows(store);
    });
    afterAll(async () => {
      await fixture.drop();
    });

    describe.each(STATE_COLUMNS)('$constraint', (column) => {
      it('refuses a value outside the state list, writing nothing', async () => {
        const before = await countRows(store, column.table);
        const { text, params } = column.insert(rows);
        const error = await expectAstraError(
          store.query(text, ['bogus', ...params]),
          'ASTRA_STORE_CONSTRAINT_VIOLATION',
        );
        expect(error.details).toEqual({ sqlState: '23514', constraint: column.constraint });
        expect(error.category).toBe('user');
        expect(await countRows(store, column.table)).toBe(before);
      });

      it('accepts every value in the state list', async () => {
        const { text, params } = column.insert(rows);
        for (const value of column.allowed) {
          await expect(store.query(text, [value, ...params])).resolves.toMatchObject({ rowCount: 1 });
        }
      });
    });

    const violation = async (
      text: string,
      params: unknown[],
      sqlState: string,
      constraint: string | null,
    ) => {
      const error = await expectAstraError(store.query(text, params), 'ASTRA_STORE_CONSTRAINT_VIOLATION');
      expect(error.details).toEqual({ sqlState, constraint });
    };

    it('names the primary key on a duplicate id', async () => {
      await violation(
        'INSERT INTO agents (id, name) VALUES ($1, $2)',
        [rows.agentId, 'dup'],
        '23505',
        'agents_pkey',
      );
    });

    it('names the foreign key on a missing parent', async () => {
      const missing = '00000000-0000-0000-0000-00000000dead';
      await violation(
        `INSERT INTO goals (agent_id, goal_text) VALUES ($1, 'g')`,
        [missing],
        '23503',
        'goals_agent_id_fkey',
      );
    });

    it('types a NOT NULL violation, which has no constraint name', async () => {
      await violation('INSERT INTO agents (name) VALUES ($1)', [null], '23502', null);
    });

    it('refuses a goal or a task that depends on itself', async () => {
      await violation(
        'INSERT INTO goal_dependencies (goal_id, depends_on_goal_id) VALUES ($1, $1)',
        [rows.goalId],
        '23514',
        'goal_dependencies_not_self_check',
      );
      await violation(
        'INSERT INTO task_dependencies (task_id, depends_on) VALUES ($1, $1)',
        [rows.taskId],
        '23514',
        'task_dependencies_not_self_check',
      );
    });

    it('never lets a task count below zero unfinished dependencies', async () => {
      await violation(
        'UPDATE tasks SET pending_dependencies = pending_dependencies - 1 WHERE id = $1',
        [rows.taskId],
        '23514',
        'tasks_pending_dependencies_check',
      );
    });

    it('keys goals by idempotency key per agent', async () => {
      const text = `INSERT INTO goals (agent_id, goal_text, idempotency_key) VALUES ($1, 'g', 'k-1')`;
      await store.query(text, [rows.agentId]);
      await violation(text, [rows.agentId], '23505', 'goals_idempotency_key_idx');
    });

    it('lets two agents share a name', async () => {
      await store.query(`INSERT INTO agents (name) VALUES ('twin'), ('twin')`);
      const { rows: twins } = await store.query(`SELECT id FROM agents WHERE name = 'twin'`);
      expect(twins).toHaveLength(2);
    });

    it('stamps updated_at on update', async () => {
      await store.query(`UPDATE agents SET updated_at = '2000-01-01' WHERE id = $1`, [rows.agentId]);
      const { rows: after } = await store.query<{ recent: boolean }>(
        `SELECT updated_at > '2001-01-01' AS recent FROM agents WHERE id = $1`,
        [rows.agentId],
      );
      expect(after).toEqual([{ recent: true }]);
    });
  });
}
