import {
  type JsonValue,
  type SubmitGoalInput,
  type SubmittedGoal,
  TaskError,
  type TaskHandler,
} from '../../../kernel/index.js';
import type { SqlStore } from '../../../ports/sql-store.js';
import type { Clock } from '../../../time/clock.js';
import { MEMORY_DEFAULTS } from '../memory-defaults.js';
import {
  agentsWithWork,
  deleteEpisodes,
  deleteExpiredFacts,
  deleteFactsOlderThan,
  deleteFactsOverCap,
  factsToConsolidate,
  mergeFacts,
  nearDuplicates,
} from './janitor-store.js';
import { consolidatedUntil, retentionOf, setConsolidatedUntil } from './retention-store.js';
import { MEMORY_GOAL_KEY_PREFIX, MEMORY_TASK_DEFAULTS, RETENTION_DEFAULTS } from './task-defaults.js';
import type { MemoryModel } from './task-model.js';

/**
 * The memory janitor, as kernel tasks (docs/memory.md). The kernel has no recurring schedule, so
 * a round runs every `everyMs` on the injected clock on each node of the scheduler role: it finds
 * the agents with work and submits for each a background goal with one `memory_janitor` task,
 * under the idempotency key of the round's period (`floor(now / everyMs)`). However many nodes
 * run the round, an agent gets one janitor goal per period; the kernel runs it on any executor
 * and retries it.
 *
 * The task, for its agent, with the agent's retention (retention-store.ts) and the task's clock:
 * 1. expiry: facts past `expires_at` are deleted, and facts invalid (past `valid_to`, or
 *    superseded) for more than keepInvalidDays;
 * 2. retention: live facts older than maxFactAgeDays, then the oldest beyond maxFacts, are
 *    deleted; episodes older than maxEpisodeAgeDays or beyond maxEpisodes too;
 * 3. consolidation: facts created since the agent's last consolidation (at most
 *    consolidateFactsPerRun, oldest first) are compared with its older live facts; a pair at or
 *    above the duplicate threshold is merged: the newer is superseded by the older, whose
 *    metadata.merged_from keeps the newer's content and provenance. The watermark then moves.
 *
 * Result: `{expired, invalid_deleted, aged_out, over_cap, episodes_deleted, merged: [{id, into,
 * score}], compared}`.
 */
export interface JanitorTaskOptions extends Pick<MemoryModel, 'orgOf'> {
  readonly store: SqlStore;
  readonly clock: Clock;
  /** Cosine at or above which two facts are merged (default MEMORY_DEFAULTS.duplicateThreshold). */
  readonly duplicateThreshold?: number;
}

const DAY_MS = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

export function janitorHandler(options: JanitorTaskOptions): TaskHandler {
  const { store, clock } = options;
  const threshold = options.duplicateThreshold ?? MEMORY_DEFAULTS.duplicateThreshold;
  return async ({ task }) => {
    const orgId = await options.orgOf(task.agentId);
    if (orgId === null)
      throw new TaskError(`the agent ${task.agentId} no longer exists`, { retryable: false });
    const agent = { orgId, agentId: task.agentId };
    const retention = await retentionOf(store, orgId, task.agentId);
    const nowMs = clock.now();
    const now = iso(nowMs);
    const { expired, invalid } = await deleteExpiredFacts(
      store,
      agent,
      now,
      iso(nowMs - retention.keepInvalidDays * DAY_MS),
    );
    const agedOut =
      retention.maxFactAgeDays === null
        ? 0
        : await deleteFactsOlderThan(store, agent, iso(nowMs - retention.maxFactAgeDays * DAY_MS));
    const overCap = await deleteFactsOverCap(store, agent, retention.maxFacts);
    const episodesDeleted = await deleteEpisodes(
      store,
      agent,
      retention.maxEpisodeAgeDays === null ? null : iso(nowMs - retention.maxEpisodeAgeDays * DAY_MS),
      retention.maxEpisodes,
    );
    const limit = MEMORY_TASK_DEFAULTS.consolidateFactsPerRun;
    const fresh = await factsToConsolidate(store, agent, await consolidatedUntil(store, task.agentId), limit);
    const merged: JsonValue[] = [];
    const gone = new Set<string>();
    for (const p of await nearDuplicates(
      store,
      agent,
      fresh.map((f) => f.id),
      threshold,
    )) {
      if (gone.has(p.newId) || gone.has(p.oldId)) continue;
      if (await mergeFacts(store, orgId, { loserId: p.newId, survivorId: p.oldId, at: now })) {
        gone.add(p.newId);
        merged.push({ id: p.newId, into: p.oldId, score: p.score });
      }
    }
    const until = fresh.length < limit ? now : (fresh.at(-1)?.createdAt ?? now);
    await setConsolidatedUntil(store, task.agentId, until, now);
    return {
      expired,
      invalid_deleted: invalid,
      aged_out: agedOut,
      over_cap: overCap,
      episodes_deleted: episodesDeleted,
      merged,
      compared: fresh.length,
    };
  };
}

export interface JanitorRoundOptions {
  readonly store: SqlStore;
  readonly submit: (input: SubmitGoalInput) => Promise<SubmittedGoal>;
  readonly everyMs?: number;
  readonly agentsPerRound?: number;
}

/** One round at `nowMs`: a janitor goal for each agent with work, once per period. */
export async function runJanitorRound(options: JanitorRoundOptions, nowMs: number): Promise<SubmittedGoal[]> {
  const everyMs = options.everyMs ?? MEMORY_TASK_DEFAULTS.janitorEveryMs;
  const period = Math.floor(nowMs / everyMs);
  const agents = await agentsWithWork(
    options.store,
    { now: iso(nowMs), invalidBefore: iso(nowMs - RETENTION_DEFAULTS.keepInvalidDays * DAY_MS) },
    options.agentsPerRound ?? MEMORY_TASK_DEFAULTS.janitorAgentsPerRound,
  );
  const submitted: SubmittedGoal[] = [];
  for (const { agentId } of agents)
    submitted.push(
      await options.submit({
        agentId,
        goalText: 'Tidy memory (janitor)',
        priority: MEMORY_TASK_DEFAULTS.priority,
        idempotencyKey: `${MEMORY_GOAL_KEY_PREFIX}janitor:${everyMs}:${period}`,
        plan: {
          tasks: [{ id: 'janitor', type: 'memory_janitor', max_retries: MEMORY_TASK_DEFAULTS.maxRetries }],
        },
      }),
    );
  return submitted;
}

export interface MemoryJanitor {
  stop(): Promise<void>;
}

/** Runs a round every `everyMs` on the clock (the first after one period); failures are reported. */
export function startMemoryJanitor(
  options: JanitorRoundOptions & {
    readonly clock: Clock;
    readonly onError: (error: unknown, context: string) => void;
  },
): MemoryJanitor {
  const everyMs = options.everyMs ?? MEMORY_TASK_DEFAULTS.janitorEveryMs;
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await options.clock.sleep(everyMs, stopping.signal);
      } catch {
        return; // stopped while waiting
      }
      await runJanitorRound(options, options.clock.now()).catch((error: unknown) =>
        options.onError(error, 'memory janitor round failed'),
      );
    }
  })();
  return {
    stop: async () => {
      stopping.abort();
      await loop;
    },
  };
}
