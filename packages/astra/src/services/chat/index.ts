/**
 * The chat service (docs/chat.md): sessions between a user and a chat-capable agent, turns that
 * stream the model's answer and run its tool calls through the tool runtime, over REST, SSE and a
 * WebSocket. Other services import this file only (tools/check-imports.mjs).
 */
export { CHAT_DEFAULTS, type ChatSettings } from './chat-defaults.js';
export { ChatService, type ChatServiceOptions, type EndedChat, ownerOf } from './chat-service.js';
export {
  type ChatMessage,
  type ChatSession,
  chatMessageRow,
  chatSessionRow,
} from './chat-store.js';
export type { ChatToolOffer, ChatToolOutcome, ChatToolRun, ChatTools } from './chat-tools.js';
export type { ChatFrame, ChatUsage } from './frames.js';
