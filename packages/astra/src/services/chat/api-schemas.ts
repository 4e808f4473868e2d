import { z } from 'zod';
import { Timestamp, Uuid } from '../api/index.js';
import { CHAT_MESSAGE_STATUSES, CHAT_ROLES, CHAT_SESSION_STATUSES } from './chat-store.js';

export const ChatSessionAnswer = z
  .object({
    id: Uuid,
    session_id: Uuid.meta({ description: 'The same as `id` (upstream name).' }),
    user_id: z.string().meta({ description: 'The owner: `user:<id>`, `agent:<id>` or `admin`.' }),
    agent_id: Uuid,
    title: z.string(),
    status: z.enum(CHAT_SESSION_STATUSES),
    tokens_used: z
      .number()
      .int()
      .meta({ description: 'Tokens of every model call of the session (the token cap).' }),
    summary: z
      .string()
      .nullable()
      .meta({ description: 'The model-written summary of the messages older than the history window.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'ChatSession', description: 'A chat between its owner and a chat-capable agent.' });

export const OpenedChatSession = ChatSessionAnswer.extend({
  websocket_url: z.string().meta({
    description:
      '`ws(s)://<host>/chat/ws?session_id=<id>`; add the token as `token` or `access_token`, or send it as a header.',
  }),
}).meta({ id: 'OpenedChatSession' });

export const ChatSessionList = z.object({ sessions: z.array(ChatSessionAnswer) });

const ToolCallAnswer = z.object({ id: z.string(), name: z.string(), arguments: z.string() });
const ToolResultAnswer = z.object({ call_id: z.string(), content: z.string() });

export const ChatMessageAnswer = z
  .object({
    id: Uuid,
    message_id: Uuid.meta({ description: 'The same as `id` (upstream name).' }),
    session_id: Uuid,
    seq: z.number().int(),
    role: z.enum(CHAT_ROLES),
    content: z.string(),
    tool_calls: z.array(ToolCallAnswer).nullable(),
    tool_results: z.array(ToolResultAnswer).nullable(),
    tokens_in: z.number().int(),
    tokens_out: z.number().int(),
    model: z.string().nullable(),
    status: z.enum(CHAT_MESSAGE_STATUSES),
    created_at: Timestamp,
  })
  .meta({
    id: 'ChatMessage',
    description: 'One message of a chat session, with its usage when the model wrote it.',
  });

export const ChatMessageList = z.object({ messages: z.array(ChatMessageAnswer) });

export const ChatTurnAnswer = z
  .object({
    message: ChatMessageAnswer,
    usage: z.object({ tokens_in: z.number().int(), tokens_out: z.number().int(), estimated: z.boolean() }),
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .meta({ description: 'Why the turn failed after it started (a provider failure); null otherwise.' }),
  })
  .meta({ id: 'ChatTurn' });

export const InjectedMessage = z.object({ message_id: Uuid, status: z.literal('injected') });
