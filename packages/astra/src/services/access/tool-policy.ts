import type { EntityJson } from '@cedar-policy/cedar-wasm/nodejs';
import { entityUid } from './entities.js';

/**
 * Policies on tool calls (docs/tools.md, "Policies on tool calls"): when an agent's task calls a
 * tool, the active policy set is asked `tool.call` with the agent as principal and the tool version
 * as resource. A forbid that matches (or no permit matching) refuses the call; a matching permit
 * annotated `@require_approval` makes it wait for people's approval, naming that policy.
 */
export interface ToolFacts {
  readonly name: string;
  readonly version: string;
  readonly riskTier: string;
  /** The tier's rank, low 0 … critical 3, so policies compare tiers (`resource.riskRank >= 2`). */
  readonly riskRank: number;
  readonly sideEffect: string;
  readonly sandbox: string;
}

export interface ToolCallDecision {
  readonly allowed: boolean;
  /** Allowed: the permits that matched; refused: the forbids that matched (none: no permit matched). */
  readonly reasons: readonly string[];
  /** The matching permits annotated `@require_approval` (empty: the call runs without one). */
  readonly approval: readonly string[];
  readonly errors: readonly string[];
  readonly policyVersion: number;
}

export const toolEntity = (tool: ToolFacts): EntityJson => ({
  uid: entityUid('Tool', `${tool.name}@${tool.version}`),
  attrs: {
    name: tool.name,
    version: tool.version,
    riskTier: tool.riskTier,
    riskRank: tool.riskRank,
    sideEffect: tool.sideEffect,
    sandbox: tool.sandbox,
  },
  parents: [],
});
