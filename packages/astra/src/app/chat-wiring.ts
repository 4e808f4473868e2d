import { AstraError } from '../errors/index.js';
import type { TaskEngine } from '../kernel/index.js';
import type { LlmClient } from '../ports/llm.js';
import type { SqlStore } from '../ports/sql-store.js';
import type { AccessControl } from '../services/access/access-control.js';
import { type RoutePlugin, routePlugin } from '../services/api/index.js';
import { CHAT_DEFAULTS, ChatService, type ChatSettings, type EndedChat } from '../services/chat/index.js';
import { chatRoutes } from '../services/chat/routes-chat.js';
import { chatWsRoutes } from '../services/chat/routes-chat-ws.js';
import type { GoalSubmissionOptions } from '../services/goals/submit-goal.js';
import type { MemoryRecall } from '../services/prompts/index.js';
import type { Clock } from '../time/clock.js';
import { chatToolsOf } from './chat-tools.js';

/** What the chat stands on in a node: its router (none: turns fail ASTRA_LLM_NO_PROVIDER), settings, memory. */
export interface ChatParts {
  readonly llm: Pick<LlmClient, 'complete'>;
  readonly settings?: Partial<ChatSettings>;
  readonly memories?: MemoryRecall;
  readonly onClosed?: (ended: EndedChat) => Promise<void>;
}

const NO_LLM: Pick<LlmClient, 'complete'> = {
  complete: async () => {
    throw new AstraError('ASTRA_LLM_NO_PROVIDER');
  },
};

/** The chat's REST and WebSocket route plugins, over one ChatService whose tool calls are goals. */
export function chatRoutePlugins(
  parts: {
    readonly store: SqlStore;
    readonly engine: TaskEngine;
    readonly access: AccessControl;
    readonly clock: Clock;
    readonly chat?: ChatParts;
  },
  submission: GoalSubmissionOptions,
  corsOrigins: readonly string[],
): RoutePlugin[] {
  const { store, clock } = parts;
  const chat = new ChatService({
    store,
    access: parts.access,
    clock,
    llm: parts.chat?.llm ?? NO_LLM,
    tools: chatToolsOf({
      store,
      submission,
      engine: parts.engine,
      clock,
      pollMs: parts.chat?.settings?.toolPollMs ?? CHAT_DEFAULTS.toolPollMs,
    }),
    ...(parts.chat?.memories === undefined ? {} : { memories: parts.chat.memories }),
    ...(parts.chat?.onClosed === undefined ? {} : { onClosed: parts.chat.onClosed }),
    ...(parts.chat?.settings === undefined ? {} : { settings: parts.chat.settings }),
  });
  return [routePlugin(chatRoutes, { chat, store }), routePlugin(chatWsRoutes, { chat, corsOrigins })];
}
