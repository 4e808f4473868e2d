import { createHash } from 'node:crypto';
import {
  type ApprovalRule,
  type ApprovalWait,
  approvalRow,
  awaitApproval,
  type ClaimedTask,
  type JsonValue,
} from '../../kernel/index.js';
import { int, json, nullable, oneOf, tableRow, text, timestamp, uuid } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { SideEffect, ToolManifest } from './manifest.js';
import { ToolCallError } from './tool-errors.js';

/**
 * The effect ledger (migration 0014, docs/tools.md): what makes a retried tool call safe. Every
 * call of a tool that is not `read_only` has a row keyed by its idempotency key, sha256 over
 * (goal id, task id, call index); the row is written `started` (attempt, worker, time) before the
 * tool acts and `succeeded` (the result) or `failed` after. When a call runs again — the task was
 * retried, or taken over after its worker died — the row decides:
 * - none, or `failed` (the tool reported a definite failure): the call runs;
 * - `succeeded`: the recorded result is the answer, and the tool does not act again;
 * - `started` (the worker died, or the call was aborted, mid-effect: whether it acted is unknown):
 *   `idempotent` and `compensatable` run again (acting twice is harmless, or the tool's own
 *   compensation repairs it); `irreversible` never runs again without a new approval — the task
 *   waits for one (the approvals of risky tasks); approved, it runs once more; denied or expired,
 *   it fails with ASTRA_TOOL_EFFECT_UNCERTAIN.
 * Only a ToolCallError from the tool (a definite, reported outcome) records `failed`; any other
 * error, or an abort, leaves the row `started`, so an irreversible call is never run again on a guess.
 */
export const EFFECT_STATUSES = ['started', 'succeeded', 'failed'] as const;
export type EffectStatus = (typeof EFFECT_STATUSES)[number];
const LEDGERED = ['idempotent', 'compensatable', 'irreversible'] as const;

export const effectRow = tableRow('tool_effects', {
  idempotencyKey: text,
  goalId: uuid,
  taskId: uuid,
  callIndex: int,
  toolName: text,
  toolVersion: text,
  sideEffect: oneOf(LEDGERED),
  status: oneOf(EFFECT_STATUSES),
  attempt: int,
  runs: int,
  workerId: nullable(uuid),
  approvalId: nullable(uuid),
  result: nullable(json),
  error: nullable(text),
  startedAt: timestamp,
  finishedAt: nullable(timestamp),
});
export type EffectRecord = ReturnType<typeof effectRow.decode>;

/** The idempotency key of one call: sha256 (hex) over goal id, task id and the call's index in its task. */
export function idempotencyKey(goalId: string, taskId: string, callIndex: number): string {
  return createHash('sha256').update(`astra-tool-call\n${goalId}\n${taskId}\n${callIndex}`).digest('hex');
}

/** Whether the ledger keeps calls of this side-effect class (all but read_only). */
export const ledgered = (sideEffect: SideEffect): boolean => sideEffect !== 'read_only';

export async function readEffect(db: SqlExecutor, key: string): Promise<EffectRecord | null> {
  const { rows } = await db.query(
    `SELECT ${effectRow.columns()} FROM tool_effects WHERE idempotency_key = $1`,
    [key],
  );
  return effectRow.first(rows);
}

interface StartInput {
  readonly key: string;
  readonly task: ClaimedTask;
  readonly callIndex: number;
  readonly manifest: ToolManifest;
  readonly approvalId: string | null;
  readonly now: Date;
}

/**
 * Records `started` (a new row, or a run again of a row not `succeeded`: runs + 1), with the
 * worker that holds the task now. Null when a success was recorded meanwhile.
 */
async function startEffect(db: SqlExecutor, input: StartInput): Promise<EffectRecord | null> {
  const { rows } = await db.query(
    `INSERT INTO tool_effects (idempotency_key, goal_id, task_id, call_index, tool_name, tool_version, side_effect,
                               status, attempt, worker_id, approval_id, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'started', $8, (SELECT worker_id FROM tasks WHERE id = $3), $9, $10)
     ON CONFLICT (idempotency_key) DO UPDATE
     SET status = 'started', attempt = EXCLUDED.attempt, runs = tool_effects.runs + 1,
         worker_id = EXCLUDED.worker_id, approval_id = coalesce(EXCLUDED.approval_id, tool_effects.approval_id),
         error = NULL, started_at = EXCLUDED.started_at, finished_at = NULL
     WHERE tool_effects.status <> 'succeeded'
     RETURNING ${effectRow.columns()}`,
    [
      input.key,
      input.task.goalId,
      input.task.id,
      input.callIndex,
      input.manifest.name,
      input.manifest.version,
      input.manifest.sideEffect,
      input.task.attempt,
      input.approvalId,
      input.now,
    ],
  );
  return effectRow.first(rows);
}

/** The first success recorded wins: a stale run finishing after another's success changes nothing. */
async function finishEffect(
  db: SqlExecutor,
  key: string,
  outcome: { status: 'succeeded'; result: JsonValue } | { status: 'failed'; error: string },
  now: Date,
): Promise<void> {
  await db.query(
    `UPDATE tool_effects SET status = $2, result = $3::jsonb, error = $4, finished_at = $5
     WHERE idempotency_key = $1 AND status = 'started'`,
    [
      key,
      outcome.status,
      outcome.status === 'succeeded' ? JSON.stringify(outcome.result) : null,
      outcome.status === 'failed' ? outcome.error.slice(0, 4000) : null,
      now,
    ],
  );
}

const approvedRequest = approvalRow.pick('id');

const UNCERTAIN: ToolCallError['code'] = 'ASTRA_TOOL_EFFECT_UNCERTAIN';

/**
 * The newest approved request the ledger made about this call (its summary names the call's key)
 * at or after `since` (the uncertain start), if any. Assumes the nodes' clocks agree to well within
 * the worker deadline: the request is made only after the worker that started the call was lost.
 */
async function approvalSince(
  db: SqlExecutor,
  taskId: string,
  key: string,
  since: string,
): Promise<string | null> {
  const { rows } = await db.query(
    `SELECT id FROM approvals
     WHERE task_id = $1 AND status = 'approved' AND refusal_code = $3 AND created_at >= $2
       AND position($4 in action_summary) > 0
     ORDER BY created_at DESC LIMIT 1`,
    [taskId, since, UNCERTAIN, key],
  );
  return approvedRequest.first(rows)?.id ?? null;
}

export interface LedgeredCall {
  readonly store: SqlExecutor;
  readonly clock: Clock;
  readonly task: ClaimedTask;
  /** The call's index within its task: 0 for a tool task; an LLM's tool loop numbers its calls. */
  readonly callIndex: number;
  readonly manifest: ToolManifest;
  readonly signal: AbortSignal;
  /** The rule of the approval an uncertain irreversible call asks for. */
  readonly approvalRule: () => Promise<ApprovalRule>;
  /** Told when the ledger answers from a record or runs an uncertain call again (for the node's log). */
  readonly note?: (level: 'info' | 'warn', message: string, fields: Record<string, unknown>) => void;
}

/**
 * What the ledger says before a call acts: `answer` (a success is recorded: that is the call's
 * answer, it does not act), `wait` (an irreversible call whose effect is uncertain: the task waits
 * for an approval), or `run` (recorded `started`; `finish` records its outcome). A call of a
 * read_only tool always runs, unrecorded.
 */
export type LedgerStart =
  | { readonly kind: 'answer'; readonly result: JsonValue }
  | { readonly kind: 'wait'; readonly wait: ApprovalWait }
  | { readonly kind: 'run'; readonly key: string | null };

/** The first half of a call under the ledger (throughLedger; a remote worker's tool acts in between). */
export async function beginLedgered(call: LedgeredCall): Promise<LedgerStart> {
  const { store, clock, task, manifest } = call;
  if (!ledgered(manifest.sideEffect)) return { kind: 'run', key: null };
  const key = idempotencyKey(task.goalId, task.id, call.callIndex);
  const seen = await readEffect(store, key);
  const fields = { task_id: task.id, tool: `${manifest.name}@${manifest.version}`, idempotency_key: key };
  if (seen?.status === 'succeeded') {
    call.note?.('info', 'tool call answered from the effect ledger', {
      ...fields,
      recorded_attempt: seen.attempt,
    });
    return { kind: 'answer', result: seen.result };
  }
  let approvalId: string | null = null;
  if (seen?.status === 'started' && manifest.sideEffect === 'irreversible') {
    // Approved after the uncertain start: run once more under that approval; otherwise ask.
    const approved = await approvalSince(store, task.id, key, seen.startedAt);
    if (approved === null || approved === seen.approvalId)
      return { kind: 'wait', wait: await uncertain(call, seen) };
    approvalId = approved;
  }
  if (seen?.status === 'started')
    call.note?.('warn', 'tool call that may have acted already runs again', {
      ...fields,
      side_effect: manifest.sideEffect,
      runs: seen.runs,
      approval_id: approvalId,
    });
  const started = await startEffect(store, {
    key,
    task,
    callIndex: call.callIndex,
    manifest,
    approvalId,
    now: new Date(clock.now()),
  });
  if (started === null) {
    // Another run recorded its success between the read and the start.
    const done = await readEffect(store, key);
    if (done?.status === 'succeeded') return { kind: 'answer', result: done.result };
  }
  return { kind: 'run', key };
}

/**
 * The second half: a success records the result; a definite failure (a ToolCallError, the call
 * not aborted) records `failed`; anything else leaves the call `started` (its effect uncertain).
 */
export async function finishLedgered(
  db: SqlExecutor,
  clock: Clock,
  key: string | null,
  outcome:
    | { readonly ok: true; readonly result: JsonValue }
    | { readonly ok: false; readonly error: string; readonly definite: boolean },
): Promise<void> {
  if (key === null) return;
  const now = new Date(clock.now());
  if (outcome.ok) await finishEffect(db, key, { status: 'succeeded', result: outcome.result }, now);
  else if (outcome.definite) await finishEffect(db, key, { status: 'failed', error: outcome.error }, now);
}

/**
 * Runs `act` (the tool's runner) under the ledger: its answer, the recorded answer of a call that
 * already succeeded, or an ApprovalWait for an irreversible call whose effect is uncertain (the
 * handler returns it; the kernel makes the task wait).
 */
export async function throughLedger(
  call: LedgeredCall,
  act: () => Promise<JsonValue>,
): Promise<JsonValue | ApprovalWait> {
  const start = await beginLedgered(call);
  if (start.kind === 'answer') return start.result;
  if (start.kind === 'wait') return start.wait;
  let result: JsonValue;
  try {
    result = await act();
  } catch (error) {
    const definite = error instanceof ToolCallError && !call.signal.aborted;
    await finishLedgered(call.store, call.clock, start.key, {
      ok: false,
      error: (error as Error).message,
      definite,
    });
    throw error;
  }
  await finishLedgered(call.store, call.clock, start.key, { ok: true, result });
  return result;
}

async function uncertain(call: LedgeredCall, seen: EffectRecord): Promise<ApprovalWait> {
  const tool = `${seen.toolName}@${seen.toolVersion}`;
  return awaitApproval({
    rule: await call.approvalRule(),
    summary: `irreversible tool ${tool} (task ${call.task.name}, call ${seen.callIndex}, key ${seen.idempotencyKey}) may have acted already: its run ${seen.runs} started at ${seen.startedAt} (attempt ${seen.attempt}) never finished; approve to run it once more`,
    refusalCode: UNCERTAIN,
    checkpoint: call.task.checkpoint,
  });
}
