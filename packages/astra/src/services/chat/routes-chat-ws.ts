import type { WebSocket } from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AstraError, normalizeError } from '../../errors/index.js';
import { defineRoutes, parseInput, principalOf } from '../api/index.js';
import type { ChatService } from './chat-service.js';
import { errorFrame } from './chat-turn.js';
import type { ChatFrame } from './frames.js';
import { CHAT_WS_PATH } from './routes-chat.js';

/**
 * `GET /chat/ws?session_id=…`: a chat session over a WebSocket (upstream's frames, frames.ts).
 * The credential comes as `Authorization: Bearer`, or as `?token=` (upstream) / `?access_token=`
 * (browsers cannot set headers on a WebSocket); a bad one is refused with 401 before the upgrade.
 * Browser origins outside ASTRA_CORS_ORIGINS are refused (403) before the upgrade, as on the event
 * stream. Once open, the server sends `session`; a session that is not the caller's is an `error`
 * frame (ASTRA_NOT_FOUND) and the socket closes (4404).
 *
 * The client sends JSON text messages: `{"type":"message","content":"…"}` starts a turn (its frames
 * follow; a refused turn is one `error` frame), `{"type":"cancel"}` cancels the running turn (its
 * `message_end` says `cancelled`), `{"type":"ping"}` is answered `pong`. Approvals are not sent
 * here: a `tool_result` frame with `status: "waiting_approval"` names the approval, which is
 * decided through the approvals API, and the turn goes on by itself. Closing the socket cancels
 * the running turn.
 */
export interface ChatWsRoutesOptions {
  readonly chat: ChatService;
  /** Browser origins that may open the WebSocket (ASTRA_CORS_ORIGINS). */
  readonly corsOrigins: readonly string[];
}

const WsQuery = z.object({
  session_id: z.uuid(),
  token: z.string().optional(),
  access_token: z.string().optional(),
});

const ClientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), content: z.string(), id: z.string().optional() }),
  z.object({ type: z.literal('cancel') }),
  z.object({ type: z.literal('ping') }),
  // Upstream's in-band auth: the credential already came with the upgrade; accepted and ignored.
  z.object({ type: z.literal('auth'), token: z.string().optional() }),
]);

export const chatWsRoutes: FastifyPluginAsync<ChatWsRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  const { chat } = deps;
  const allowedOrigins = new Set(deps.corsOrigins);

  define(
    {
      method: 'GET',
      path: CHAT_WS_PATH,
      operationId: 'connectChat',
      queryToken: true,
      access: { action: 'agent.use', filtered: true },
      tag: 'chat',
      summary:
        "A chat session over a WebSocket (upstream's frames: `session`, `message_start`, `chunk`, `tool_call`, `tool_result`, `message_end`, `done`, `error`, `pong`); the client sends `message`, `cancel` and `ping` (docs/chat.md).",
      query: WsQuery,
      responses: { 101: { description: 'Switching protocols; then one JSON frame per text message.' } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        403: 'ASTRA_ORIGIN_FORBIDDEN: the Origin header is not allowed',
        426: 'ASTRA_VALIDATION_FAILED: not a WebSocket upgrade',
      },
    },
    async () => {
      throw new AstraError('ASTRA_VALIDATION_FAILED', 'this route serves WebSocket upgrades only', {
        details: { reason: 'upgrade_required' },
      });
    },
    async (socket, request) => serveChat(socket, request, chat),
  );

  app.addHook('onRequest', async (request) => {
    if (request.url.split('?')[0] !== CHAT_WS_PATH) return;
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin))
      throw new AstraError('ASTRA_ORIGIN_FORBIDDEN', 'this origin may not open chat sessions', {
        details: { origin },
      });
    parseInput(WsQuery, request.query, 'query');
  });
};

async function serveChat(socket: WebSocket, request: FastifyRequest, chat: ChatService): Promise<void> {
  const send = (frame: ChatFrame): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
  };
  const principal = principalOf(request);
  const query = parseInput(WsQuery, request.query, 'query');
  let sessionId: string;
  try {
    const session = await chat.session(principal, query.session_id.toLowerCase(), 'agent.view');
    sessionId = session.id;
    send({
      type: 'session',
      session_id: session.id,
      agent_id: session.agentId,
      title: session.title,
      status: session.status,
    });
  } catch (error) {
    const astra = normalizeError(error);
    send(errorFrame(astra));
    socket.close(astra.code === 'ASTRA_NOT_FOUND' ? 4404 : 4403, astra.code);
    return;
  }
  const gone = new AbortController();
  socket.on('close', () => gone.abort(new Error('the client went away')));
  socket.on('message', (data, isBinary) => {
    if (isBinary) return send(errorFrame(invalid('frames are JSON text')));
    let parsed: z.output<typeof ClientFrame>;
    try {
      parsed = ClientFrame.parse(JSON.parse(String(data)));
    } catch {
      return send(errorFrame(invalid('a frame is {"type": "message" | "cancel" | "ping", …}')));
    }
    switch (parsed.type) {
      case 'ping':
        return send({ type: 'pong' });
      case 'cancel':
        chat.cancel(sessionId);
        return;
      case 'auth':
        return;
      case 'message':
        chat
          .turn({ principal, sessionId, content: parsed.content, emit: send, signal: gone.signal })
          .catch((error: unknown) => send(errorFrame(normalizeError(error))));
    }
  });
}

const invalid = (message: string): AstraError =>
  new AstraError('ASTRA_VALIDATION_FAILED', message, { details: { reason: 'bad_frame' } });
