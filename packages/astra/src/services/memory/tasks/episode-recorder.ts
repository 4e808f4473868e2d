import { createHash } from 'node:crypto';
import {
  type GoalEndedReport,
  goalRow,
  type SubmitGoalInput,
  type SubmittedGoal,
} from '../../../kernel/index.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';
import type { Clock } from '../../../time/clock.js';
import { type ChatTranscript, chatPayload } from './chat-material.js';
import { MEMORY_GOAL_KEY_PREFIX, MEMORY_TASK_DEFAULTS } from './task-defaults.js';

/**
 * Off the hot path: the kernel's goal-ended hook (synchronous, after the commit) only adds the goal
 * to a buffer. Every `flushMs` on the injected clock, or as soon as `batchGoals` goals wait, the
 * buffer is submitted as one background goal per agent with one `memory_episode` task naming its
 * goals; the kernel then runs it durably, with retries, on any executor. The chat service calls
 * `chatEnded` when a session ends: one goal per session.
 *
 * Idempotent at both ends: a batch's goal carries an idempotency key made of its sources (the same
 * batch submitted twice is one goal), and the task writes one episode per source whatever runs it.
 * The memory service's own goals (their idempotency keys start with MEMORY_GOAL_KEY_PREFIX) are
 * dropped from a batch, so an episode goal's end writes no episode of its own.
 *
 * A report lost with its process (a crash between a goal's end and the flush) is not recovered:
 * its goal has no episode.
 */
export interface EpisodeRecorderOptions {
  readonly store: SqlExecutor;
  /** The kernel engine's submitGoal. */
  readonly submit: (input: SubmitGoalInput) => Promise<SubmittedGoal>;
  readonly clock: Clock;
  readonly flushMs?: number;
  readonly batchGoals?: number;
  readonly onError: (error: unknown, context: string) => void;
}

export interface EpisodeRecorder {
  /** For the kernel's goalLifecycle.ended. */
  goalEnded(report: GoalEndedReport): void;
  /** A chat session ended: its episode is written by a background task. */
  chatEnded(agentId: string, chat: ChatTranscript): Promise<SubmittedGoal>;
  /** Submits what waits now (also done on the timer). */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

const keyOf = (parts: readonly string[]): string =>
  `${MEMORY_GOAL_KEY_PREFIX}episode:${createHash('sha256').update(parts.join(',')).digest('hex').slice(0, 40)}`;

const ownGoal = goalRow.pick('id');

/** The goals among `ids` that are not the memory service's own. */
async function userGoals(db: SqlExecutor, ids: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query(
    `SELECT id FROM goals WHERE id = ANY($1::uuid[])
       AND (idempotency_key IS NULL OR left(idempotency_key, $2) <> $3)`,
    [ids, MEMORY_GOAL_KEY_PREFIX.length, MEMORY_GOAL_KEY_PREFIX],
  );
  return new Set(rows.map((row) => ownGoal.decode(row).id));
}

const episodeTask = (payload: SubmitGoalInput['plan']) => ({
  id: 'episode',
  type: 'memory_episode',
  payload,
  max_retries: MEMORY_TASK_DEFAULTS.maxRetries,
});

export function createEpisodeRecorder(options: EpisodeRecorderOptions): EpisodeRecorder {
  const flushMs = options.flushMs ?? MEMORY_TASK_DEFAULTS.episodeFlushMs;
  const batchGoals = options.batchGoals ?? MEMORY_TASK_DEFAULTS.episodeBatchGoals;
  /** Ended goals by agent, waiting for the flush. */
  let waiting = new Map<string, Set<string>>();
  let size = 0;
  let timer: AbortController | null = null;
  let flushing: Promise<void> = Promise.resolve();
  let closed = false;

  const submitBatch = async (agentId: string, goalIds: readonly string[]): Promise<void> => {
    const kept = await userGoals(options.store, goalIds);
    const goals = goalIds.filter((id) => kept.has(id)).sort();
    if (goals.length === 0) return;
    await options.submit({
      agentId,
      goalText: `Remember ${goals.length === 1 ? 'a goal' : `${goals.length} goals`} (episodic memory)`,
      priority: MEMORY_TASK_DEFAULTS.priority,
      idempotencyKey: keyOf(goals),
      plan: { tasks: [episodeTask({ goals })] },
    });
  };

  const flushNow = async (): Promise<void> => {
    timer?.abort();
    timer = null;
    const batch = waiting;
    waiting = new Map();
    size = 0;
    for (const [agentId, goals] of batch)
      await submitBatch(agentId, [...goals]).catch((error: unknown) =>
        options.onError(error, 'could not submit an episode task'),
      );
  };
  const flush = (): Promise<void> => {
    flushing = flushing.then(flushNow);
    return flushing;
  };

  const arm = (): void => {
    if (timer !== null || closed) return;
    const controller = new AbortController();
    timer = controller;
    options.clock.sleep(flushMs, controller.signal).then(
      () => {
        if (timer === controller) timer = null;
        void flush();
      },
      () => undefined, // flushed early or closed
    );
  };

  return {
    goalEnded(report) {
      if (closed) return;
      const goals = waiting.get(report.agentId) ?? new Set<string>();
      if (goals.has(report.goalId)) return;
      goals.add(report.goalId);
      waiting.set(report.agentId, goals);
      size += 1;
      if (size >= batchGoals) void flush();
      else arm();
    },
    chatEnded: (agentId, chat) =>
      options.submit({
        agentId,
        goalText: 'Remember a chat session (episodic memory)',
        priority: MEMORY_TASK_DEFAULTS.priority,
        idempotencyKey: keyOf([`chat:${chat.sessionId}`]),
        plan: { tasks: [episodeTask({ chat: chatPayload(chat) })] },
      }),
    flush,
    async close() {
      closed = true;
      await flush();
    },
  };
}
