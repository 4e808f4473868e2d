import { AstraError, isAstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { AccessControl, Action } from '../access/index.js';
import { countCall, readAgent } from '../agents/index.js';
import type { Principal } from '../identity/index.js';
import type { MemoryRecall } from '../prompts/index.js';
import { CHAT_DEFAULTS, type ChatSettings } from './chat-defaults.js';
import { type ChatSession, closeSession, insertSession, lastMessages, readSession } from './chat-store.js';
import type { ChatTools } from './chat-tools.js';
import { runTurn, type TurnOutcome, tokenCapError } from './chat-turn.js';
import type { ChatFrame } from './frames.js';

/**
 * Chat sessions and their turns, for the REST and WebSocket routes alike.
 *
 * A session belongs to the caller who opened it (ownerOf): nobody else sees it, not even another
 * user who may use the agent (404, as for what one may not see). Reading a session needs
 * `agent.view` on its agent, a turn `agent.use`, injecting a message `agent.edit`, as they stand at
 * each request. A turn is refused before anything is stored, each with its code: a message over
 * `maxMessageLength` (ASTRA_CHAT_MESSAGE_TOO_LONG), a closed session (ASTRA_CHAT_SESSION_CLOSED), an
 * agent that is not chat-capable (ASTRA_CHAT_NOT_CAPABLE), a turn already running in the session
 * (ASTRA_CHAT_TURN_IN_PROGRESS), a session past its token cap (ASTRA_CHAT_TOKEN_CAP), more than
 * `ratePerMinute` turns this minute (ASTRA_CHAT_RATE_LIMITED; counted in the SQL store, so every
 * gateway process shares the count). One turn at a time is enforced per process.
 */
export interface ChatServiceOptions {
  readonly store: SqlStore;
  readonly llm: Parameters<typeof runTurn>[0]['llm'];
  readonly access: Pick<AccessControl, 'require'>;
  readonly clock: Clock;
  readonly tools?: ChatTools;
  /** The agent's memories, recalled on each user message into the system prompt (services/memory). */
  readonly memories?: MemoryRecall;
  /** Default CHAT_DEFAULTS. */
  readonly settings?: Partial<ChatSettings>;
  /**
   * Told once when an open session is closed, with its newest messages (episodic memory writes
   * the chat's episode from them); awaited, so it must handle its own failures.
   */
  readonly onClosed?: (ended: EndedChat) => Promise<void>;
}

/** A session just closed and its newest messages, oldest first. */
export interface EndedChat {
  readonly session: ChatSession;
  readonly messages: readonly { readonly role: string; readonly content: string }[];
}

/** How many of a closed session's newest messages `onClosed` is given. */
const ENDED_MESSAGES = 50;

/** Who owns a session a caller opens: `user:<id>` (also for their API keys), `agent:<id>`, `admin`. */
export function ownerOf(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
    case 'api_key':
      return `user:${principal.userId}`;
    case 'agent':
      return `agent:${principal.agentId}`;
    case 'admin_token':
      return 'admin';
  }
}

export class ChatService {
  readonly settings: ChatSettings;
  readonly #options: ChatServiceOptions;
  readonly #running = new Map<string, AbortController>();

  constructor(options: ChatServiceOptions) {
    this.#options = options;
    this.settings = { ...CHAT_DEFAULTS, ...options.settings };
  }

  async open(principal: Principal, agentId: string, title: string): Promise<ChatSession> {
    const agent = await readAgent(this.#options.store, agentId);
    if (agent === null) throw new AstraError('ASTRA_NOT_FOUND', 'agent does not exist');
    if (!agent.chatCapable) throw notCapable(agent.id);
    return insertSession(this.#options.store, { userId: ownerOf(principal), agentId: agent.id, title });
  }

  /** The caller's session, with `action` on its agent; ASTRA_NOT_FOUND when it is not theirs. */
  async session(principal: Principal, id: string, action: Action): Promise<ChatSession> {
    const session = await readSession(this.#options.store, id);
    if (session === null || session.userId !== ownerOf(principal))
      throw new AstraError('ASTRA_NOT_FOUND', 'chat session does not exist');
    await this.#options.access.require(principal, action, { type: 'agent', id: session.agentId });
    return session;
  }

  /**
   * Runs a turn; resolves when it is over (answered, cancelled or failed: the outcome says). Throws,
   * before anything is stored, when the turn is refused. `signal` cancels it (so does `cancel`).
   */
  async turn(request: {
    readonly principal: Principal;
    readonly sessionId: string;
    readonly content: string;
    readonly emit: (frame: ChatFrame) => void;
    readonly signal?: AbortSignal;
  }): Promise<TurnOutcome> {
    const { store, clock } = this.#options;
    const { settings } = this;
    if (request.content.length > settings.maxMessageLength)
      throw new AstraError(
        'ASTRA_CHAT_MESSAGE_TOO_LONG',
        `a chat message holds at most ${settings.maxMessageLength} characters`,
        { details: { maxLength: settings.maxMessageLength, length: request.content.length } },
      );
    if (request.content.trim().length === 0)
      throw new AstraError('ASTRA_VALIDATION_FAILED', 'content: must not be empty', {
        details: { path: 'content', reason: 'must not be empty' },
      });
    const session = await this.session(request.principal, request.sessionId, 'agent.use');
    if (session.status === 'closed')
      throw new AstraError('ASTRA_CHAT_SESSION_CLOSED', 'this chat session is closed', {
        details: { sessionId: session.id },
      });
    const agent = await readAgent(store, session.agentId);
    if (agent === null) throw new AstraError('ASTRA_NOT_FOUND', 'chat session does not exist');
    if (!agent.chatCapable) throw notCapable(agent.id);
    if (this.#running.has(session.id))
      throw new AstraError('ASTRA_CHAT_TURN_IN_PROGRESS', 'a turn of this session is still running', {
        details: { sessionId: session.id },
      });
    if (session.tokensUsed >= settings.tokenCap) throw tokenCapError(settings.tokenCap, session.tokensUsed);
    await countCall(store, `chat:${session.id}`, settings.ratePerMinute, clock.now()).catch(
      (error: unknown) => {
        if (!isAstraError(error, 'ASTRA_RATE_LIMITED')) throw error;
        throw new AstraError(
          'ASTRA_CHAT_RATE_LIMITED',
          `a chat session takes at most ${settings.ratePerMinute} messages a minute`,
          {
            details: error.details,
          },
        );
      },
    );
    if (this.#running.has(session.id))
      throw new AstraError('ASTRA_CHAT_TURN_IN_PROGRESS', 'a turn of this session is still running', {
        details: { sessionId: session.id },
      });
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(request.signal?.reason);
    request.signal?.addEventListener('abort', onAbort, { once: true });
    if (request.signal?.aborted) controller.abort(request.signal.reason);
    this.#running.set(session.id, controller);
    try {
      return await runTurn(
        {
          store,
          llm: this.#options.llm,
          settings,
          ...(this.#options.tools === undefined ? {} : { tools: this.#options.tools }),
          ...(this.#options.memories === undefined ? {} : { memories: this.#options.memories }),
        },
        {
          principal: request.principal,
          session,
          agent: { id: agent.id, orgId: agent.orgId, config: agent.config },
          content: request.content,
          signal: controller.signal,
          emit: request.emit,
        },
      );
    } finally {
      this.#running.delete(session.id);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Refuses an injected message the session cannot take (closed, too long). */
  checkInjectable(session: ChatSession, content: string): void {
    if (session.status === 'closed')
      throw new AstraError('ASTRA_CHAT_SESSION_CLOSED', 'this chat session is closed', {
        details: { sessionId: session.id },
      });
    if (content.length > this.settings.maxMessageLength)
      throw new AstraError(
        'ASTRA_CHAT_MESSAGE_TOO_LONG',
        `a chat message holds at most ${this.settings.maxMessageLength} characters`,
        { details: { maxLength: this.settings.maxMessageLength, length: content.length } },
      );
  }

  /** Cancels the session's running turn; false when none runs in this process. */
  cancel(sessionId: string): boolean {
    const running = this.#running.get(sessionId);
    running?.abort(new Error('cancelled by the client'));
    return running !== undefined;
  }

  async close(principal: Principal, id: string): Promise<ChatSession> {
    const session = await this.session(principal, id, 'agent.view');
    this.cancel(session.id);
    const closed = (await closeSession(this.#options.store, session.id)) ?? session;
    const { onClosed, store } = this.#options;
    if (session.status !== 'closed' && onClosed !== undefined) {
      const messages = await lastMessages(store, session.id, ENDED_MESSAGES);
      await onClosed({ session: closed, messages: messages.map(({ role, content }) => ({ role, content })) });
    }
    return closed;
  }

  /** Cancels every running turn (the server is stopping). */
  stop(): void {
    for (const controller of this.#running.values()) controller.abort(new Error('the server is stopping'));
  }
}

function notCapable(agentId: string): AstraError {
  return new AstraError('ASTRA_CHAT_NOT_CAPABLE', 'this agent does not chat (set chat_capable)', {
    details: { agentId },
  });
}
