import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { onBody } from '../access/index.js';
import { defineRoutes, idParam, parseInput, principalOf } from '../api/index.js';
import {
  ChatMessageList,
  ChatSessionAnswer,
  ChatSessionList,
  ChatTurnAnswer,
  InjectedMessage,
  OpenedChatSession,
} from './api-schemas.js';
import { type ChatService, ownerOf } from './chat-service.js';
import {
  type ChatMessage,
  type ChatSession,
  insertMessage,
  listMessages,
  listSessions,
} from './chat-store.js';
import type { ChatFrame } from './frames.js';

/**
 * The chat's REST routes (upstream's `/chat/sessions…`): open, list, read and close sessions, read
 * their messages, send a turn (answered when it is over, or streamed as Server-Sent Events when
 * the request accepts `text/event-stream`: one `data:` line per frame, the WebSocket's frames), and
 * inject a message. Sessions are the caller's own (chat-service.ts); the WebSocket is routes-chat-ws.ts.
 */
export interface ChatRoutesOptions {
  readonly chat: ChatService;
  readonly store: Parameters<typeof listSessions>[0];
}

export const CHAT_WS_PATH = '/chat/ws';

const OpenBody = z.object({
  agent_id: z.uuid(),
  title: z.string().max(500).optional(),
});
const ListQuery = z.object({
  agent_id: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
const MessagesQuery = z.object({
  after_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const TurnBody = z.object({
  content: z.string(),
  id: z
    .string()
    .max(200)
    .optional()
    .meta({ description: "The client's id of the message (upstream), not stored." }),
});
const InjectBody = z.object({
  content: z.string().min(1),
  role: z.enum(['system', 'user', 'assistant']).optional().meta({ description: 'Default `system`.' }),
});

export function sessionJson(session: ChatSession): z.output<typeof ChatSessionAnswer> {
  return {
    id: session.id,
    session_id: session.id,
    user_id: session.userId,
    agent_id: session.agentId,
    title: session.title,
    status: session.status,
    tokens_used: session.tokensUsed,
    summary: session.summary,
    created_at: session.createdAt,
    updated_at: session.updatedAt,
  };
}

function messageJson(message: ChatMessage): z.output<typeof ChatMessageList>['messages'][number] {
  return {
    id: message.id,
    message_id: message.id,
    session_id: message.sessionId,
    seq: message.seq,
    role: message.role,
    content: message.content,
    tool_calls: (message.toolCalls as never) ?? null,
    tool_results: (message.toolResults as never) ?? null,
    tokens_in: message.tokensIn,
    tokens_out: message.tokensOut,
    model: message.model,
    status: message.status,
    created_at: message.createdAt,
  };
}

const wantsStream = (request: FastifyRequest): boolean =>
  (request.headers.accept ?? '').toLowerCase().includes('text/event-stream');

/** `ws(s)://host/chat/ws?session_id=…` as the client reached this server. */
function websocketUrl(request: FastifyRequest, sessionId: string): string {
  const scheme = request.protocol === 'https' ? 'wss' : 'ws';
  return `${scheme}://${request.host}${CHAT_WS_PATH}?session_id=${sessionId}`;
}

export const chatRoutes: FastifyPluginAsync<ChatRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  const { chat } = deps;
  app.addHook('preClose', async () => chat.stop());

  define(
    {
      method: 'POST',
      path: '/chat/sessions',
      operationId: 'openChatSession',
      access: { action: 'agent.use', resource: onBody('agent', 'agent_id') },
      tag: 'chat',
      summary:
        'Opens a chat session with a chat-capable agent, owned by the caller; the answer names the WebSocket to talk on.',
      body: OpenBody,
      responses: { 201: { description: 'The session and its `websocket_url`.', body: OpenedChatSession } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        404: 'ASTRA_NOT_FOUND: no such agent',
        409: 'ASTRA_CHAT_NOT_CAPABLE',
      },
    },
    async (request, reply) => {
      const body = parseInput(OpenBody, request.body ?? {}, 'body');
      const session = await chat.open(principalOf(request), body.agent_id.toLowerCase(), body.title ?? '');
      return reply
        .status(201)
        .send({ ...sessionJson(session), websocket_url: websocketUrl(request, session.id) });
    },
  );

  define(
    {
      method: 'GET',
      path: '/chat/sessions',
      operationId: 'listChatSessions',
      access: { action: 'agent.view', filtered: true },
      tag: 'chat',
      summary: "The caller's own chat sessions, most recently active first; `agent_id` narrows to one agent.",
      query: ListQuery,
      responses: { 200: { description: '`{sessions}`', body: ChatSessionList } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED' },
    },
    async (request) => {
      const query = parseInput(ListQuery, request.query, 'query');
      const sessions = await listSessions(deps.store, {
        userId: ownerOf(principalOf(request)),
        ...(query.agent_id === undefined ? {} : { agentId: query.agent_id.toLowerCase() }),
        limit: query.limit ?? 100,
      });
      return { sessions: sessions.map(sessionJson) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/chat/sessions/:id',
      operationId: 'getChatSession',
      access: { action: 'agent.view', filtered: true },
      tag: 'chat',
      summary: "One of the caller's chat sessions (another caller's answers 404).",
      responses: { 200: { description: 'The session.', body: ChatSessionAnswer } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) =>
      sessionJson(
        await chat.session(principalOf(request), idParam(request.params, 'chat session'), 'agent.view'),
      ),
  );

  define(
    {
      method: 'GET',
      path: '/chat/sessions/:id/messages',
      operationId: 'listChatMessages',
      access: { action: 'agent.view', filtered: true },
      tag: 'chat',
      summary:
        "A session's messages in order, with each assistant message's tool calls, results and tokens; `after_seq` pages.",
      query: MessagesQuery,
      responses: { 200: { description: '`{messages}`', body: ChatMessageList } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const query = parseInput(MessagesQuery, request.query, 'query');
      const session = await chat.session(
        principalOf(request),
        idParam(request.params, 'chat session'),
        'agent.view',
      );
      const messages = await listMessages(deps.store, session.id, {
        ...(query.after_seq === undefined ? {} : { afterSeq: query.after_seq }),
        limit: query.limit ?? 200,
      });
      return { messages: messages.map(messageJson) };
    },
  );

  define(
    {
      method: 'POST',
      path: '/chat/sessions/:id/messages',
      operationId: 'sendChatMessage',
      access: { action: 'agent.use', filtered: true },
      tag: 'chat',
      summary:
        "Sends a message and runs the turn: answered when it is over with the assistant's message and usage, or, with `Accept: text/event-stream`, streamed as frames (docs/chat.md). Hanging up cancels the turn.",
      body: TurnBody,
      headers: { Accept: '`text/event-stream` streams the turn as Server-Sent Events.' },
      responses: {
        200: {
          description: 'The turn (JSON), or its frames (`text/event-stream`, one ChatFrame per `data:`).',
          body: ChatTurnAnswer,
        },
      },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        404: 'ASTRA_NOT_FOUND',
        409: 'ASTRA_CHAT_SESSION_CLOSED, ASTRA_CHAT_NOT_CAPABLE, ASTRA_CHAT_TOKEN_CAP or ASTRA_CHAT_TURN_IN_PROGRESS',
        413: 'ASTRA_CHAT_MESSAGE_TOO_LONG',
        429: 'ASTRA_CHAT_RATE_LIMITED',
      },
    },
    async (request, reply) => {
      const body = parseInput(TurnBody, request.body ?? {}, 'body');
      const sessionId = idParam(request.params, 'chat session');
      const hangUp = new AbortController();
      const onClose = (): void => {
        if (!reply.raw.writableFinished) hangUp.abort(new Error('the client went away'));
      };
      reply.raw.once('close', onClose);
      const stream = wantsStream(request);
      const sse = stream ? sseWriter(reply) : null;
      const outcome = await chat.turn({
        principal: principalOf(request),
        sessionId,
        content: body.content,
        emit: sse?.write ?? (() => undefined),
        signal: hangUp.signal,
      });
      if (sse !== null) {
        sse.end();
        return reply;
      }
      return {
        message: messageJson(outcome.message),
        usage: outcome.usage,
        error: outcome.error === null ? null : { code: outcome.error.code, message: outcome.error.message },
      };
    },
  );

  define(
    {
      method: 'DELETE',
      path: '/chat/sessions/:id',
      operationId: 'closeChatSession',
      access: { action: 'agent.view', filtered: true },
      tag: 'chat',
      summary: 'Closes the session (a running turn is cancelled); its messages stay readable.',
      responses: { 200: { description: 'The closed session.', body: ChatSessionAnswer } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) =>
      sessionJson(await chat.close(principalOf(request), idParam(request.params, 'chat session'))),
  );

  define(
    {
      method: 'POST',
      path: '/chat/sessions/:id/inject',
      operationId: 'injectChatMessage',
      access: { action: 'agent.edit', filtered: true },
      tag: 'chat',
      summary:
        "Adds a message to the caller's session without a turn (upstream's inject; role default `system`): the model sees it in the next turn's history. Needs `agent.edit` on the agent.",
      body: InjectBody,
      responses: { 201: { description: '`{message_id, status: "injected"}`', body: InjectedMessage } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        404: 'ASTRA_NOT_FOUND',
        409: 'ASTRA_CHAT_SESSION_CLOSED',
        413: 'ASTRA_CHAT_MESSAGE_TOO_LONG',
      },
    },
    async (request, reply) => {
      const body = parseInput(InjectBody, request.body ?? {}, 'body');
      const session = await chat.session(
        principalOf(request),
        idParam(request.params, 'chat session'),
        'agent.edit',
      );
      chat.checkInjectable(session, body.content);
      const message = await insertMessage(deps.store, {
        sessionId: session.id,
        role: body.role ?? 'system',
        content: body.content,
      });
      return reply.status(201).send({ message_id: message.id, status: 'injected' as const });
    },
  );
};

/** Writes frames as Server-Sent Events, hijacking the reply at the first one (before it, errors are plain answers). */
function sseWriter(reply: FastifyReply): { write: (frame: ChatFrame) => void; end: () => void } {
  let started = false;
  const out = reply.raw;
  return {
    write: (frame) => {
      if (!started) {
        started = true;
        reply.hijack();
        out.writeHead(200, {
          ...(reply.getHeaders() as Record<string, string>),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
      }
      if (!out.destroyed) out.write(`event: ${frame.type}\ndata: ${JSON.stringify(frame)}\n\n`);
    },
    end: () => {
      if (started) out.end();
    },
  };
}
