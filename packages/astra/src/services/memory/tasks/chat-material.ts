import type { JsonValue } from '../../../kernel/index.js';
import { MEMORY_TASK_DEFAULTS } from './task-defaults.js';

/**
 * A chat session as its episode is written from: the chat service hands it over when the session
 * ends (episode-recorder.ts `chatEnded`), and it travels in the episode task's payload, so the
 * task needs nothing of the chat service. Only the last `chatMessages` messages are kept, each cut
 * to `chatMessageChars`.
 */
export interface ChatTranscript {
  readonly sessionId: string;
  readonly title?: string;
  readonly messages: readonly { readonly role: string; readonly content: string }[];
  readonly startedAt?: string;
  readonly endedAt?: string;
}

const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The transcript as a payload (snake_case, bounded). */
export function chatPayload(chat: ChatTranscript): { [key: string]: JsonValue } {
  const messages = chat.messages
    .slice(-MEMORY_TASK_DEFAULTS.chatMessages)
    .map((m) => ({ role: cut(m.role, 32), content: cut(m.content, MEMORY_TASK_DEFAULTS.chatMessageChars) }));
  return {
    session_id: chat.sessionId,
    ...(chat.title === undefined ? {} : { title: cut(chat.title, 200) }),
    messages,
    ...(chat.startedAt === undefined ? {} : { started_at: chat.startedAt }),
    ...(chat.endedAt === undefined ? {} : { ended_at: chat.endedAt }),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The transcript of a payload's `chat`; null when it is not one. */
export function chatOfPayload(value: unknown): ChatTranscript | null {
  if (!isObject(value) || typeof value.session_id !== 'string' || !Array.isArray(value.messages)) return null;
  const messages = value.messages.filter(
    (m): m is { role: string; content: string } =>
      isObject(m) && typeof m.role === 'string' && typeof m.content === 'string',
  );
  return {
    sessionId: value.session_id,
    ...(typeof value.title === 'string' ? { title: value.title } : {}),
    messages,
    ...(typeof value.started_at === 'string' ? { startedAt: value.started_at } : {}),
    ...(typeof value.ended_at === 'string' ? { endedAt: value.ended_at } : {}),
  };
}

/** The summary written without a model: the session's size, and its first and last user messages. */
export function plainChatSummary(chat: ChatTranscript): string {
  const user = chat.messages.filter((m) => m.role === 'user');
  const first = user[0]?.content;
  const last = user.at(-1)?.content;
  const title = chat.title === undefined ? '' : ` "${cut(chat.title, 120)}"`;
  return [
    `Chat session${title}: ${chat.messages.length} message${chat.messages.length === 1 ? '' : 's'}, ${user.length} from the user.`,
    first === undefined ? '' : ` It began with: "${cut(first, 200)}".`,
    last === undefined || user.length < 2 ? '' : ` It ended with: "${cut(last, 200)}".`,
  ].join('');
}

export function chatMaterialText(chat: ChatTranscript, maxChars: number): string {
  const lines = chat.messages.map((m) => `${m.role}: ${m.content}`);
  // Keep the end of a long chat: what it came to matters most.
  const text = lines.join('\n');
  return text.length <= maxChars ? text : `…${text.slice(text.length - maxChars + 1)}`;
}
