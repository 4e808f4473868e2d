import { AstraError } from '../../errors/index.js';
import type { ApprovalRecord, ApprovalRule, PlanTask } from '../../kernel/index.js';
import type { Principal } from '../identity/index.js';
import { RISK_TIERS, type RiskTier } from '../tools/index.js';

/**
 * What needs people's approval, and who may give it. Decided once, when a goal is submitted: the
 * engine stores the outcome (the goal waits `pending_approval`; each risky task carries its rule),
 * so dispatch never asks again.
 *
 * From the platform settings (`ASTRA_RISKY_TASK_TYPES`, `ASTRA_APPROVAL_TTL_SECONDS`) and the
 * agent's `config`:
 * - `require_plan_approval: true` (or `require_approval: true` on the goal itself): the plan waits;
 * - `risky_task_types: [...]`: task types or tools (a task's `payload.tool`) that wait, on top of
 *   the platform's list;
 * - `approval_risk_tier: "high"`: tool tasks whose tool's manifest is of that risk tier or above
 *   wait (the lower of the agent's and the platform's `ASTRA_APPROVAL_RISK_TIER` applies);
 * - `approvers: [...]` (user ids; empty: the agent's administrators), `required_approvals` (default 1),
 *   `approval_ttl_seconds` (default the platform's; 0: never expires).
 * Who may vote: the gateway's access rule (`approval.decide`, docs/access.md) decides first, with
 * the request's approvers in its context; `mayDecide` then holds the vote to the named approvers
 * (and super-admins) inside the deciding transaction.
 */
export interface ApprovalSettings {
  /** Task types (or tools) risky for every agent. */
  readonly riskyTaskTypes: readonly string[];
  /** Default expiry of a request, in seconds; 0: none. */
  readonly ttlSeconds: number;
  /** Tool tasks whose tool is of this risk tier or above wait for approval, for every agent; null: none. */
  readonly riskTier?: RiskTier | null;
}

/** The defaults (the routes and the settings table use them): no type risky for every agent; a day to decide. */
export const APPROVAL_DEFAULTS: ApprovalSettings = { riskyTaskTypes: [], ttlSeconds: 86_400, riskTier: null };

/** The voter a principal is: a user id, or `admin-token`; null when it may never vote (an agent). */
export function approverOf(principal: Principal): string | null {
  if (principal.kind === 'admin_token') return 'admin-token';
  return 'userId' in principal ? principal.userId : null;
}

/** Throws ASTRA_FORBIDDEN unless the principal may vote on this request. */
export function mayDecide(approval: ApprovalRecord, principal: Principal): void {
  const approver = approverOf(principal);
  if (approver === null) throw new AstraError('ASTRA_FORBIDDEN', 'only people vote on approvals');
  // With no approvers named, the policies decided who may vote (the agent's administrators).
  if (principal.superAdmin || approval.approvers.length === 0 || approval.approvers.includes(approver))
    return;
  throw new AstraError('ASTRA_FORBIDDEN', 'you are not an approver of this request', {
    details: { approval_id: approval.id },
  });
}

/** The keys of an agent's `config` that make its approval policy (see above). */
const APPROVAL_KEYS = [
  'require_plan_approval',
  'risky_task_types',
  'approvers',
  'required_approvals',
  'approval_ttl_seconds',
  'approval_risk_tier',
  // Egress grants open the network to the agent's tools: as sensitive as what waits for approval.
  'egress_allow',
  'egress_task_grants',
] as const;

/** Whether replacing an agent's config `before` by `after` changes what needs approval or who gives it. */
export function changesApprovalPolicy(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): boolean {
  for (const key of APPROVAL_KEYS)
    if (JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null)) return true;
  return false;
}

/** The approvers an agent's config names (empty: its administrators decide). */
export const approversOf = (config: Readonly<Record<string, unknown>>): string[] => strings(config.approvers);

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const wholeNumber = (value: unknown, fallback: number, min: number): number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min ? value : fallback;

/** The risk tiers of the tools a plan's tasks name, by the reference they name them with. */
export type ToolTiers = ReadonlyMap<string, RiskTier>;

const toolOf = (task: Pick<PlanTask, 'payload'>): string | undefined => {
  const payload = task.payload;
  const tool =
    typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload.tool : undefined;
  return typeof tool === 'string' ? tool : undefined;
};

/** The lowest tier that waits for this agent: the lower of its own and the platform's; null: none. */
function waitingTier(
  agent: { readonly config: Record<string, unknown> },
  settings: ApprovalSettings,
): RiskTier | null {
  const own = agent.config.approval_risk_tier;
  const tiers = [settings.riskTier ?? null, RISK_TIERS.includes(own as RiskTier) ? (own as RiskTier) : null]
    .filter((tier): tier is RiskTier => tier !== null)
    .map((tier) => RISK_TIERS.indexOf(tier));
  return tiers.length === 0 ? null : (RISK_TIERS[Math.min(...tiers)] as RiskTier);
}

/**
 * Whether a task needs approval: its type or tool is risky for the platform or this agent, or it
 * is a tool task whose tool's risk tier is at or above the tier that waits.
 */
export function isRisky(
  task: Pick<PlanTask, 'type' | 'payload'>,
  agent: { readonly config: Record<string, unknown> },
  settings: ApprovalSettings,
  tiers: ToolTiers = new Map(),
): boolean {
  const tool = toolOf(task);
  const risky = new Set([...settings.riskyTaskTypes, ...strings(agent.config.risky_task_types)]);
  if (risky.has(task.type) || (tool !== undefined && risky.has(tool))) return true;
  const waiting = waitingTier(agent, settings);
  // A tool task, or one routed to the remote workers that serve its tool (`tool:<name>`).
  const toolTask = task.type === 'tool' || task.type.startsWith('tool:');
  const tier = toolTask && tool !== undefined ? tiers.get(tool) : undefined;
  return waiting !== null && tier !== undefined && RISK_TIERS.indexOf(tier) >= RISK_TIERS.indexOf(waiting);
}

/** The rule of this agent's requests: how many approve votes, from whom, how long it waits. */
export function approvalRuleFor(
  agent: { readonly config: Record<string, unknown> },
  settings: ApprovalSettings = APPROVAL_DEFAULTS,
): ApprovalRule {
  const config = agent.config;
  const ttlSeconds = wholeNumber(config.approval_ttl_seconds, settings.ttlSeconds, 0);
  return {
    required: wholeNumber(config.required_approvals, 1, 1),
    approvers: strings(config.approvers),
    ttlMs: ttlSeconds === 0 ? null : ttlSeconds * 1000,
  };
}

/** The engine's `approval` input for a goal of this agent, or undefined when nothing waits. */
export function approvalPolicyFor(
  agent: { readonly config: Record<string, unknown> },
  goal: { readonly requireApproval?: boolean },
  settings: ApprovalSettings,
  tiers: ToolTiers = new Map(),
): { plan: ApprovalRule | null; task: (task: PlanTask) => ApprovalRule | null } | undefined {
  const config = agent.config;
  const rule = approvalRuleFor(agent, settings);
  const plan = goal.requireApproval === true || config.require_plan_approval === true ? rule : null;
  const anyRisky =
    settings.riskyTaskTypes.length > 0 ||
    strings(config.risky_task_types).length > 0 ||
    (waitingTier(agent, settings) !== null && tiers.size > 0);
  if (plan === null && !anyRisky) return undefined;
  return { plan, task: (task) => (isRisky(task, agent, settings, tiers) ? rule : null) };
}

/** `{approval}` to spread into the engine's submit input, or `{}` when nothing waits. */
export function approvalInput(
  agent: { readonly config: Record<string, unknown> },
  goal: { readonly requireApproval?: boolean },
  settings: ApprovalSettings = APPROVAL_DEFAULTS,
  tiers: ToolTiers = new Map(),
): { approval?: NonNullable<ReturnType<typeof approvalPolicyFor>> } {
  const approval = approvalPolicyFor(agent, goal, settings, tiers);
  return approval === undefined ? {} : { approval };
}
