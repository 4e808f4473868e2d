import {
  bigintAsNumber,
  int,
  type JsonValue,
  json,
  nullable,
  oneOf,
  tableRow,
  text,
  timestamp,
  uuid,
} from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/** Chat sessions and messages as stored (migration 0032), read and written by the chat service only. */
export const CHAT_SESSION_STATUSES = ['active', 'closed'] as const;
export type ChatSessionStatus = (typeof CHAT_SESSION_STATUSES)[number];
export const CHAT_ROLES = ['user', 'assistant', 'system'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];
export const CHAT_MESSAGE_STATUSES = ['complete', 'cancelled', 'failed'] as const;
export type ChatMessageStatus = (typeof CHAT_MESSAGE_STATUSES)[number];

/** The one decoder of a `chat_sessions` row. */
export const chatSessionRow = tableRow('chat_sessions', {
  id: uuid,
  userId: text,
  agentId: uuid,
  title: text,
  status: oneOf(CHAT_SESSION_STATUSES),
  summary: nullable(text),
  summarySeq: bigintAsNumber,
  tokensUsed: bigintAsNumber,
  expiresAt: nullable(timestamp),
  retentionDays: nullable(int),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type ChatSession = ReturnType<typeof chatSessionRow.decode>;

/** The one decoder of a `chat_messages` row. */
export const chatMessageRow = tableRow('chat_messages', {
  id: uuid,
  sessionId: uuid,
  seq: bigintAsNumber,
  role: oneOf(CHAT_ROLES),
  content: text,
  toolCalls: nullable(json),
  toolResults: nullable(json),
  tokensIn: int,
  tokensOut: int,
  model: nullable(text),
  status: oneOf(CHAT_MESSAGE_STATUSES),
  createdAt: timestamp,
});
export type ChatMessage = ReturnType<typeof chatMessageRow.decode>;

const SESSION_COLUMNS = chatSessionRow.columns();
const MESSAGE_COLUMNS = chatMessageRow.columns();

export async function insertSession(
  db: SqlExecutor,
  session: { readonly userId: string; readonly agentId: string; readonly title: string },
): Promise<ChatSession> {
  const { rows } = await db.query(
    `INSERT INTO chat_sessions (user_id, agent_id, title) VALUES ($1, $2::uuid, $3) RETURNING ${SESSION_COLUMNS}`,
    [session.userId, session.agentId, session.title],
  );
  return chatSessionRow.one(rows);
}

export async function readSession(db: SqlExecutor, id: string): Promise<ChatSession | null> {
  const { rows } = await db.query(`SELECT ${SESSION_COLUMNS} FROM chat_sessions WHERE id = $1::uuid`, [id]);
  return chatSessionRow.first(rows);
}

/** A caller's sessions, most recently active first, optionally of one agent. */
export async function listSessions(
  db: SqlExecutor,
  filter: { readonly userId: string; readonly agentId?: string; readonly limit: number },
): Promise<ChatSession[]> {
  const { rows } = await db.query(
    `SELECT ${SESSION_COLUMNS} FROM chat_sessions
     WHERE user_id = $1 AND ($2::uuid IS NULL OR agent_id = $2::uuid)
     ORDER BY updated_at DESC, id LIMIT $3`,
    [filter.userId, filter.agentId ?? null, filter.limit],
  );
  return rows.map(chatSessionRow.decode);
}

export async function closeSession(db: SqlExecutor, id: string): Promise<ChatSession | null> {
  const { rows } = await db.query(
    `UPDATE chat_sessions SET status = 'closed', updated_at = now() WHERE id = $1::uuid RETURNING ${SESSION_COLUMNS}`,
    [id],
  );
  return chatSessionRow.first(rows);
}

export interface NewChatMessage {
  /** Default: a new one. */
  readonly id?: string;
  readonly sessionId: string;
  readonly role: ChatRole;
  readonly content: string;
  readonly toolCalls?: JsonValue;
  readonly toolResults?: JsonValue;
  readonly tokensIn?: number;
  readonly tokensOut?: number;
  readonly model?: string | null;
  readonly status?: ChatMessageStatus;
}

/**
 * Appends a message and adds its tokens to the session's count, in one statement (a data-modifying
 * CTE), so the token cap never misses a message that was stored.
 */
export async function insertMessage(db: SqlExecutor, message: NewChatMessage): Promise<ChatMessage> {
  const tokensIn = message.tokensIn ?? 0;
  const tokensOut = message.tokensOut ?? 0;
  const { rows } = await db.query(
    `WITH touched AS (
       UPDATE chat_sessions SET tokens_used = tokens_used + $7::bigint + $8::bigint, updated_at = now()
       WHERE id = $1::uuid RETURNING id
     )
     INSERT INTO chat_messages (id, session_id, role, content, tool_calls, tool_results, tokens_in, tokens_out, model, status)
     SELECT coalesce($10::uuid, gen_random_uuid()), id, $2, $3, $4::jsonb, $5::jsonb, $7, $8, $6, $9 FROM touched
     RETURNING ${MESSAGE_COLUMNS}`,
    [
      message.sessionId,
      message.role,
      message.content,
      message.toolCalls === undefined ? null : JSON.stringify(message.toolCalls),
      message.toolResults === undefined ? null : JSON.stringify(message.toolResults),
      message.model ?? null,
      tokensIn,
      tokensOut,
      message.status ?? 'complete',
      message.id ?? null,
    ],
  );
  return chatMessageRow.one(rows);
}

/** Tokens of a call that stored no message of its own (a summary), added to the session's count. */
export async function addSessionTokens(db: SqlExecutor, id: string, tokens: number): Promise<void> {
  await db.query(`UPDATE chat_sessions SET tokens_used = tokens_used + $2::bigint WHERE id = $1::uuid`, [
    id,
    tokens,
  ]);
}

/** The messages of a session in order, after `afterSeq` (0: from the first). */
export async function listMessages(
  db: SqlExecutor,
  sessionId: string,
  options: { readonly afterSeq?: number; readonly limit: number },
): Promise<ChatMessage[]> {
  const { rows } = await db.query(
    `SELECT ${MESSAGE_COLUMNS} FROM chat_messages WHERE session_id = $1::uuid AND seq > $2 ORDER BY seq LIMIT $3`,
    [sessionId, options.afterSeq ?? 0, options.limit],
  );
  return rows.map(chatMessageRow.decode);
}

/** The newest `count` messages of a session, oldest first. */
export async function lastMessages(
  db: SqlExecutor,
  sessionId: string,
  count: number,
): Promise<ChatMessage[]> {
  const { rows } = await db.query(
    `SELECT ${MESSAGE_COLUMNS} FROM (
       SELECT * FROM chat_messages WHERE session_id = $1::uuid ORDER BY seq DESC LIMIT $2
     ) AS newest ORDER BY seq`,
    [sessionId, count],
  );
  return rows.map(chatMessageRow.decode);
}

/** Stores the summary of every message up to `upToSeq`. */
export async function writeSummary(
  db: SqlExecutor,
  id: string,
  summary: { readonly text: string; readonly upToSeq: number },
): Promise<void> {
  await db.query(
    `UPDATE chat_sessions SET summary = $2, summary_seq = greatest(summary_seq, $3::bigint) WHERE id = $1::uuid`,
    [id, summary.text, summary.upToSeq],
  );
}
