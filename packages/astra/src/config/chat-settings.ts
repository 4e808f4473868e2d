import { z } from 'zod';
import { CHAT_DEFAULTS } from '../services/chat/chat-defaults.js';

/** The chat service's settings (docs/chat.md); settings.ts spreads these into its table. */
const positive = z.coerce.number().int().positive();

export const CHAT_SETTINGS = {
  chatRateLimit: {
    env: 'ASTRA_CHAT_RATE_LIMIT',
    flag: 'chat-rate-limit',
    schema: positive,
    default: CHAT_DEFAULTS.ratePerMinute,
    description:
      'Turns one chat session may start per minute, across all gateways (upstream CHAT_RATE_LIMIT).',
  },
  chatTokenCap: {
    env: 'ASTRA_CHAT_TOKEN_CAP',
    flag: 'chat-token-cap',
    schema: positive,
    default: CHAT_DEFAULTS.tokenCap,
    description: 'Tokens one chat session may use in all, in and out (upstream CHAT_TOKEN_CAP).',
  },
  chatMaxMessageLength: {
    env: 'ASTRA_CHAT_MAX_MESSAGE_LENGTH',
    flag: 'chat-max-message-length',
    schema: positive,
    default: CHAT_DEFAULTS.maxMessageLength,
    description: 'Characters one chat message may hold (upstream CHAT_MAX_MSG_LENGTH).',
  },
  chatHistoryMessages: {
    env: 'ASTRA_CHAT_HISTORY_MESSAGES',
    flag: 'chat-history-messages',
    schema: positive,
    default: CHAT_DEFAULTS.historyMessages,
    description: "Messages a chat's model sees verbatim at most; older ones are summarized.",
  },
  chatHistoryTokens: {
    env: 'ASTRA_CHAT_HISTORY_TOKENS',
    flag: 'chat-history-tokens',
    schema: positive,
    default: CHAT_DEFAULTS.historyTokens,
    description:
      'Tokens the verbatim history of a chat may take; the oldest messages beyond it are summarized.',
  },
  chatMaxSteps: {
    env: 'ASTRA_CHAT_MAX_STEPS',
    flag: 'chat-max-steps',
    schema: positive,
    default: CHAT_DEFAULTS.maxSteps,
    description:
      'Model calls one chat turn may make (one per round of tool calls); the last may not call tools.',
  },
} as const;
