import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRelease, haveCommit, previousRelease } from '../support/previous-release.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';
import { type AstraProcess, runAstra, urlFrom } from './astra-process.js';

/**
 * Migrations stay backward compatible: the previous release's code (ops/previous-release, or the
 * newest tag) runs on a database migrated by this checkout's migrations (the test run's template,
 * every file applied) and takes its usual path — start (its own migrator finds nothing to do and
 * leaves the newer files' records alone), create an agent, submit a goal of three dependent tasks,
 * run it to completion, read it back. A migration that drops or renames what the old code reads or
 * writes, adds a NOT NULL column without a default, or edits an applied file fails here; the second
 * case adds such a change by hand and sees the same path fail.
 * docs/operations.md, "Migrations and the previous release".
 */
const required = process.env.ASTRA_TEST_REQUIRE_SERVICES === '1';
const release = previousRelease();
const present = haveCommit(release.commit);
const canRun = testServices().postgresUrl !== null && present;
const token = 'previous-release-test-token-0123456789';

interface Previous {
  readonly url: string;
  readonly astra: AstraProcess;
  stop(): Promise<void>;
}

// A clone without the release's commit (a shallow one whose history could not be fetched) cannot
// build it: the suite is skipped with a warning rather than failing on how CI cloned.
if (!present)
  console.warn(
    `previous-release check skipped: commit ${release.commit} is not in this clone (clone with history)`,
  );

describe.skipIf(!present || (!canRun && !required))(
  `the previous release (${release.from}) on the new schema`,
  () => {
    let bin: string;
    const running: Previous[] = [];

    beforeAll(async () => {
      expect(present, `commit ${release.commit} is not in this clone (clone with history)`).toBe(true);
      bin = await buildRelease(release.commit);
    }, 60_000);

    afterAll(async () => {
      for (const previous of running) await previous.stop();
    });

    /** The old `astra up` on a fresh database migrated by this checkout, after `alter` ran on it. */
    async function startPrevious(alter?: string): Promise<Previous> {
      const postgres: TestPostgresStore = await createTestPostgresStore({ maxConnections: 1 });
      if (alter !== undefined) await postgres.store.query(alter);
      const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-previous-'));
      const astra = runAstra(
        ['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
        { ASTRA_POSTGRES_URL: postgres.url, ASTRA_ADMIN_TOKEN: token },
        { bin },
      );
      const previous: Previous = {
        url: '',
        astra,
        stop: async () => {
          astra.child.kill('SIGTERM');
          await astra.exited;
          await postgres.drop();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
      running.push(previous);
      return { ...previous, url: urlFrom(await astra.waitForLine(/ready \(single-node\) at/)) };
    }

    const call = async (url: string, method: string, route: string, body?: unknown): Promise<Response> =>
      fetch(`${url}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const json = async <T>(answer: Response): Promise<T> => {
      const text = await answer.text();
      expect(answer.ok, `${answer.url}: ${answer.status} ${text}`).toBe(true);
      return JSON.parse(text) as T;
    };
    const plan = {
      tasks: [
        { id: 'a', type: 'echo', payload: { n: 1 } },
        { id: 'b', type: 'noop', depends_on: ['a'] },
        { id: 'c', type: 'echo', payload: { n: 3 }, depends_on: ['a', 'b'] },
      ],
    };
    const submit = async (url: string): Promise<Response> => {
      const agent = await json<{ actor_id: string }>(
        await call(url, 'POST', '/agents', { name: 'previous-release' }),
      );
      return call(url, 'POST', `/agents/${agent.actor_id}/goals`, {
        goal_text: 'the previous release on the new schema',
        plan,
      });
    };

    /** Reads the old code's event stream until the goal ends (no polling); answers the end event. */
    async function goalEnd(url: string, goalId: string): Promise<string | undefined> {
      const stream = await call(url, 'GET', `/events/stream?goal_id=${goalId}&last_event_id=0`);
      expect(stream.status).toBe(200);
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let seen = '';
      let ended: string | undefined;
      while (ended === undefined) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += decoder.decode(value, { stream: true });
        ended = /"type":"(Goal(?:Completed|Failed|Cancelled))"/.exec(seen)?.[1];
      }
      await reader.cancel();
      return ended;
    }

    it('applies no migration of its own and runs a goal to completion', async () => {
      const { url, astra } = await startPrevious();
      expect(astra.stdout.filter((line) => line.includes('applied migration'))).toEqual([]);
      const goal = await json<{ goal_id: string }>(await submit(url));
      expect(await goalEnd(url, goal.goal_id)).toBe('GoalCompleted');
      const read = await json<{ status: string }>(await call(url, 'GET', `/goals/${goal.goal_id}`));
      expect(read.status).toBe('completed');
      const details = await json<{ tasks: { status: string }[] }>(
        await call(url, 'GET', `/goals/${goal.goal_id}/details`),
      );
      expect(details.tasks.map((task) => task.status)).toEqual(['completed', 'completed', 'completed']);
    }, 30_000);

    it('fails when a migration breaks the old code (a NOT NULL column without a default on goals)', async () => {
      const { url } = await startPrevious('ALTER TABLE goals ADD COLUMN required_by_new_code text NOT NULL');
      const answer = await submit(url);
      expect(answer.ok, `answered ${answer.status}`).toBe(false);
    }, 30_000);
  },
);
