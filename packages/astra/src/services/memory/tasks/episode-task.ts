import type { JsonValue, PayloadIssue, TaskHandler } from '../../../kernel/index.js';
import type { SqlStore } from '../../../ports/sql-store.js';
import type { Clock } from '../../../time/clock.js';
import { type ChatTranscript, chatMaterialText, chatOfPayload, plainChatSummary } from './chat-material.js';
import {
  type EpisodeSource,
  existingEpisodes,
  insertEpisode,
  insertEpisodes,
  type NewEpisode,
} from './episode-store.js';
import { goalMaterialText, plainGoalSummary, readGoalsMaterial } from './goal-material.js';
import { MEMORY_BACKGROUND_TYPES, MEMORY_TASK_DEFAULTS } from './task-defaults.js';
import { callForTask, canCallModel, type MemoryModel, orgOfTask } from './task-model.js';

/**
 * The `memory_episode` task type: writes the episode of each goal (`goals`: goal ids of the
 * task's agent) or of a chat session (`chat`: its transcript) it is given — the condensed events
 * and a summary. The summary is a model's (one call per source through the router, attributed to
 * this task) when the node has a provider, else a short deterministic one; a call the router
 * refuses for good (a budget spent) falls back to the deterministic one, a retryable failure
 * fails the attempt and the kernel runs the task again.
 *
 * Idempotent: a source that has its episode already is answered `existing` before any model
 * call, and the write itself keeps one episode per source (the unique index), so a retried or
 * repeated task writes each episode once.
 *
 * Result: `{episodes: [{source_kind, source_id, outcome: written | existing | skipped,
 * episode_id?, summary_model?, reason?}]}`.
 */
export interface EpisodeTaskOptions extends MemoryModel {
  readonly store: SqlStore;
  readonly clock: Clock;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_GOALS = 500;

const isObject = (v: JsonValue | undefined): v is { [key: string]: JsonValue } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkEpisodePayload(payload: JsonValue): PayloadIssue | null {
  if (!isObject(payload))
    return { path: '', reason: 'an object with goals (goal ids) or chat (a transcript)' };
  const { goals, chat } = payload;
  if (goals === undefined && chat === undefined) return { path: '', reason: 'names goals or a chat' };
  if (goals !== undefined) {
    if (!Array.isArray(goals) || goals.length > MAX_GOALS)
      return { path: '.goals', reason: `an array of at most ${MAX_GOALS} goal ids` };
    const bad = goals.findIndex((g) => typeof g !== 'string' || !UUID.test(g));
    if (bad >= 0) return { path: `.goals[${bad}]`, reason: 'a goal id (uuid)' };
  }
  if (chat !== undefined && chatOfPayload(chat) === null)
    return { path: '.chat', reason: 'a transcript: session_id and messages [{role, content}]' };
  return null;
}

interface EpisodeOutcome {
  source_kind: EpisodeSource;
  source_id: string;
  outcome: 'written' | 'existing' | 'skipped';
  episode_id?: string;
  summary_model?: string | null;
  reason?: string;
}

const SYSTEM = (words: number) =>
  `You write an agent's episodic memory. Summarize what happened, in at most ${words} words of plain ` +
  'prose: what was asked, what was done, what came of it, and what went wrong if anything did. ' +
  'Answer with the summary only.';

export function episodeHandler(options: EpisodeTaskOptions): TaskHandler {
  const { store, clock } = options;
  return async ({ task, signal }) => {
    const payload = task.payload as { goals?: string[]; chat?: JsonValue };
    const orgId = await orgOfTask(options, task);
    const useModel = canCallModel(options);
    const summarize = async (material: string): Promise<{ text: string; model: string } | null> => {
      if (!useModel) return null;
      const answer = await callForTask(
        options,
        { task, orgId, signal },
        {
          temperature: 0,
          maxOutputTokens: MEMORY_TASK_DEFAULTS.episodeSummaryWords * 2 + 64,
          messages: [
            { role: 'system', content: SYSTEM(MEMORY_TASK_DEFAULTS.episodeSummaryWords) },
            { role: 'user', content: material },
          ],
        },
      );
      if ('refused' in answer) return null;
      const text = answer.result.text.trim();
      return text === '' ? null : { text, model: answer.result.model };
    };
    const outcomes: EpisodeOutcome[] = [];
    const goals = [...new Set(payload.goals ?? [])];
    const had = await existingEpisodes(store, { agentId: task.agentId, sourceKind: 'goal' }, goals);
    const materials = await readGoalsMaterial(
      store,
      goals.filter((goalId) => !had.has(goalId)),
    );
    // The goals' episodes are written together after their summaries; the ones summarized are
    // written before a failure is raised, so a retry does not ask the model for them again.
    const pending: { slot: number; episode: NewEpisode; summary: { model: string } | null }[] = [];
    const writePending = async (): Promise<void> => {
      if (pending.length === 0) return;
      const written = new Map(
        (
          await insertEpisodes(
            store,
            pending.map((p) => p.episode),
          )
        ).map((e) => [e.sourceId, e]),
      );
      for (const { slot, episode, summary } of pending.splice(0))
        outcomes[slot] = await settled(
          'goal',
          episode.sourceId,
          written.get(episode.sourceId) ?? null,
          summary,
        );
    };
    try {
      for (const goalId of goals) {
        const existing = had.get(goalId);
        if (existing !== undefined) {
          outcomes.push({
            source_kind: 'goal',
            source_id: goalId,
            outcome: 'existing',
            episode_id: existing.id,
          });
          continue;
        }
        const material = materials.get(goalId);
        const skip = (reason: string) =>
          outcomes.push({ source_kind: 'goal', source_id: goalId, outcome: 'skipped', reason });
        if (material === undefined || material.goal.agentId !== task.agentId) {
          skip('not_found');
          continue;
        }
        if (material.goal.completedAt === null) {
          skip('not_ended');
          continue;
        }
        if (material.tasks.length > 0 && material.tasks.every((t) => MEMORY_BACKGROUND_TYPES.has(t.type))) {
          skip('background');
          continue;
        }
        const summary = await summarize(goalMaterialText(material, MEMORY_TASK_DEFAULTS.episodeInputChars));
        pending.push({
          slot: outcomes.length,
          summary,
          episode: {
            orgId,
            agentId: task.agentId,
            sourceKind: 'goal',
            sourceId: goalId,
            sourceTaskId: task.id,
            outcome: material.goal.status,
            summary: summary?.text ?? plainGoalSummary(material),
            summaryModel: summary?.model ?? null,
            events: material.events,
            startedAt: material.goal.startedAt ?? material.goal.createdAt,
            endedAt: material.goal.completedAt,
            createdAt: new Date(clock.now()).toISOString(),
          },
        });
        outcomes.push({ source_kind: 'goal', source_id: goalId, outcome: 'written' }); // settled below
      }
    } finally {
      await writePending();
    }
    const chat: ChatTranscript | null = payload.chat === undefined ? null : chatOfPayload(payload.chat);
    if (chat !== null) {
      const existing = (
        await existingEpisodes(store, { agentId: task.agentId, sourceKind: 'chat' }, [chat.sessionId])
      ).get(chat.sessionId);
      if (existing !== undefined)
        outcomes.push({
          source_kind: 'chat',
          source_id: chat.sessionId,
          outcome: 'existing',
          episode_id: existing.id,
        });
      else {
        const summary =
          chat.messages.length === 0
            ? null
            : await summarize(chatMaterialText(chat, MEMORY_TASK_DEFAULTS.episodeInputChars));
        const written = await insertEpisode(store, {
          orgId,
          agentId: task.agentId,
          sourceKind: 'chat',
          sourceId: chat.sessionId,
          sourceTaskId: task.id,
          outcome: 'ended',
          summary: summary?.text ?? plainChatSummary(chat),
          summaryModel: summary?.model ?? null,
          events: chat.messages.map((m) => ({ type: 'Message', role: m.role })),
          startedAt: chat.startedAt ?? null,
          endedAt: chat.endedAt ?? null,
          createdAt: new Date(clock.now()).toISOString(),
        });
        outcomes.push(await settled('chat', chat.sessionId, written, summary));
      }
    }
    return { episodes: outcomes as unknown as JsonValue };

    async function settled(
      kind: EpisodeSource,
      sourceId: string,
      written: { id: string } | null,
      summary: { model: string } | null,
    ): Promise<EpisodeOutcome> {
      if (written !== null)
        return {
          source_kind: kind,
          source_id: sourceId,
          outcome: 'written',
          episode_id: written.id,
          summary_model: summary?.model ?? null,
        };
      // Another run wrote it between the check and the write.
      const winner = (
        await existingEpisodes(store, { agentId: task.agentId, sourceKind: kind }, [sourceId])
      ).get(sourceId);
      return {
        source_kind: kind,
        source_id: sourceId,
        outcome: 'existing',
        ...(winner === undefined ? {} : { episode_id: winner.id }),
      };
    }
  };
}
