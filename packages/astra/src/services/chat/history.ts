import type { LlmClient, LlmMessage, LlmToolCall } from '../../ports/llm.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { countTokens, truncateToTokens } from '../../tokenizer/index.js';
import type { ChatSettings } from './chat-defaults.js';
import {
  addSessionTokens,
  type ChatMessage,
  type ChatSession,
  lastMessages,
  listMessages,
  writeSummary,
} from './chat-store.js';

/**
 * The history a turn's model sees: the newest messages verbatim — at most `historyMessages`, and
 * no more than `historyTokens` of them (the oldest go first; the newest always stays) — and, when
 * older messages exist, the session's summary of them. A summary that does not yet cover every
 * message older than the window is brought up to date first, by one model call (purpose
 * `chat_summary`, counted against the agent like the turn's own calls and added to the session's
 * tokens): the previous summary and the messages it lacks, each cut to SUMMARY_INPUT_TOKENS.
 *
 * An assistant message that called tools is replayed as the calls, one `tool` message per result
 * (a call without a stored result, as in a cancelled turn, answered "no result"), then its text.
 */
const SUMMARY_INPUT_TOKENS = 400;
/** Messages folded into the summary by one call, at most. */
const SUMMARY_BATCH = 200;

export interface StoredToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}
export interface StoredToolResult {
  readonly call_id: string;
  readonly content: string;
}

const asArray = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** A stored message as the model's messages. */
export function replay(message: ChatMessage): LlmMessage[] {
  if (message.role !== 'assistant') return [{ role: message.role, content: message.content }];
  const calls = asArray<StoredToolCall>(message.toolCalls);
  if (calls.length === 0) return [{ role: 'assistant', content: message.content }];
  const results = new Map(asArray<StoredToolResult>(message.toolResults).map((r) => [r.call_id, r.content]));
  const toolCalls: LlmToolCall[] = calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments }));
  const out: LlmMessage[] = [{ role: 'assistant', content: '', toolCalls }];
  for (const call of calls)
    out.push({ role: 'tool', toolCallId: call.id, content: results.get(call.id) ?? 'no result' });
  if (message.content.length > 0) out.push({ role: 'assistant', content: message.content });
  return out;
}

const tokensOf = (message: ChatMessage): number =>
  countTokens(message.content) + countTokens(JSON.stringify(message.toolCalls ?? '')) + 4;

export interface History {
  readonly summary: string | null;
  readonly messages: readonly LlmMessage[];
}

export interface HistoryDeps {
  readonly store: SqlExecutor;
  readonly llm: Pick<LlmClient, 'complete'>;
  readonly settings: Pick<ChatSettings, 'historyMessages' | 'historyTokens'>;
}

export async function historyOf(
  deps: HistoryDeps,
  session: ChatSession,
  scope: { readonly orgId: string; readonly signal: AbortSignal },
): Promise<History> {
  const recent = await lastMessages(deps.store, session.id, deps.settings.historyMessages);
  let tokens = recent.reduce((sum, message) => sum + tokensOf(message), 0);
  while (recent.length > 1 && tokens > deps.settings.historyTokens) {
    tokens -= tokensOf(recent[0] as ChatMessage);
    recent.shift();
  }
  const firstSeq = recent[0]?.seq ?? Number.MAX_SAFE_INTEGER;
  let summary = session.summary;
  if (firstSeq - 1 > session.summarySeq) {
    const older = (
      await listMessages(deps.store, session.id, { afterSeq: session.summarySeq, limit: SUMMARY_BATCH })
    ).filter((message) => message.seq < firstSeq);
    if (older.length > 0) summary = await summarize(deps, session, older, scope);
  }
  return { summary, messages: recent.flatMap(replay) };
}

async function summarize(
  deps: HistoryDeps,
  session: ChatSession,
  older: readonly ChatMessage[],
  scope: { readonly orgId: string; readonly signal: AbortSignal },
): Promise<string> {
  const lines = older.map(
    (message) => `${message.role}: ${truncateToTokens(message.content, SUMMARY_INPUT_TOKENS)}`,
  );
  const result = await deps.llm.complete({
    messages: [
      {
        role: 'system',
        content:
          'You keep the running summary of a conversation between a user and an assistant. Keep facts, decisions, names and open questions; drop pleasantries. Answer with the summary only, at most 200 words.',
      },
      {
        role: 'user',
        content: `Summary so far:\n${session.summary ?? '(none)'}\n\nMessages to add:\n${lines.join('\n')}`,
      },
    ],
    temperature: 0,
    scope: {
      orgId: scope.orgId,
      agentId: session.agentId,
      goalId: null,
      taskId: null,
      purpose: 'chat_summary',
    },
    taskType: 'summarize',
    signal: scope.signal,
  });
  const upToSeq = (older[older.length - 1] as ChatMessage).seq;
  await writeSummary(deps.store, session.id, { text: result.text, upToSeq });
  await addSessionTokens(deps.store, session.id, result.usage.inputTokens + result.usage.outputTokens);
  return result.text;
}
