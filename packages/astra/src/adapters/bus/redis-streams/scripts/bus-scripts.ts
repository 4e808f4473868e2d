import type { Redis } from 'ioredis';
import { FAIL_SCRIPT } from './fail-script.js';
import { RECLAIM_SCRIPT } from './reclaim-script.js';

/**
 * The bus's Lua scripts bound to a connection. `defineCommand` sends EVALSHA and falls back to EVAL
 * when the server answers NOSCRIPT (a fresh or restarted server), so no load step is needed.
 */
type ScriptArg = string | number;

export interface BusScripts {
  fail(sourceKey: string, deadLetterKey: string, ...args: ScriptArg[]): Promise<unknown>;
  reclaim(sourceKey: string, deadLetterKey: string, ...args: ScriptArg[]): Promise<unknown>;
}

interface DefinedCommands {
  astraBusFail(...args: ScriptArg[]): Promise<unknown>;
  astraBusReclaim(...args: ScriptArg[]): Promise<unknown>;
}

export function defineBusScripts(redis: Redis): BusScripts {
  redis.defineCommand('astraBusFail', { numberOfKeys: 2, lua: FAIL_SCRIPT });
  redis.defineCommand('astraBusReclaim', { numberOfKeys: 2, lua: RECLAIM_SCRIPT });
  // defineCommand adds methods ioredis cannot type; this view names exactly the two it added.
  const commands = redis as unknown as DefinedCommands;
  return {
    fail: (sourceKey, deadLetterKey, ...args) => commands.astraBusFail(sourceKey, deadLetterKey, ...args),
    reclaim: (sourceKey, deadLetterKey, ...args) =>
      commands.astraBusReclaim(sourceKey, deadLetterKey, ...args),
  };
}
