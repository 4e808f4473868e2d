import type { AccessControl } from '../services/access/access-control.js';
import { RISK_TIERS, type ToolPolicy } from '../services/tools/index.js';

/**
 * The tool task type's policy check (services/tools/tool-policy.ts) over access control: each call
 * is decided on `tool.call` with the tool version's facts (access/tool-policy.ts) and audited.
 */
export const toolPolicyOf =
  (access: AccessControl): ToolPolicy =>
  (agentId, manifest) =>
    access.decideToolCall(agentId, {
      name: manifest.name,
      version: manifest.version,
      riskTier: manifest.riskTier,
      riskRank: RISK_TIERS.indexOf(manifest.riskTier),
      sideEffect: manifest.sideEffect,
      sandbox: manifest.sandbox,
    });
