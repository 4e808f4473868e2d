import type {
  ApprovalRule,
  HandlerRegistry,
  JsonValue,
  PayloadIssue,
  TaskHandler,
} from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { toolAllowed } from './allowed-tools.js';
import { callArtifacts } from './call-artifacts.js';
import type { CodeRunners } from './code-tools.js';
import { throughLedger } from './effect-ledger.js';
import { grantListProblem } from './egress-grants.js';
import { checkAgainst } from './json-schema.js';
import { parseToolRef } from './manifest.js';
import type { ToolRunner, ToolRuntime } from './tool-call.js';
import { codeKindOf } from './tool-code.js';
import { ToolCallError } from './tool-errors.js';
import { awaitPolicyApproval, policyRefusal, type ToolPolicy } from './tool-policy.js';
import { readTool, type ToolRecord } from './tool-store.js';
import type { Workspaces } from './workspace.js';

/**
 * The `tool` task type: `{"type": "tool", "payload": {"tool": "<name>[@version]", "input": {…}}}`
 * runs a registered tool under its manifest. In order, each refusal ending the task with its
 * structured error (tool-errors.ts): the tool (the newest version when none is named) must be
 * registered; the agent's allow-list must name it; the input must match its input schema; a runner
 * for it must be on this node. The runner's answer is the task's result. A tool that is not
 * read_only runs under the effect ledger (effect-ledger.ts): a call whose success is recorded
 * answers the recorded result without acting again.
 *
 * The payload's shape is checked when the plan is submitted (a clear ASTRA_PLAN_INVALID); whether
 * the tool exists and the input conforms is checked when the task runs, against the registry then.
 */
export interface ToolTaskOptions {
  readonly store: SqlExecutor;
  readonly workspaces: Workspaces;
  /** The agent's `allowed_tools` (null: not set). */
  readonly allowedTools: (agentId: string) => Promise<readonly string[] | null>;
  /**
   * The policy set's answer to a call (access control's `decideToolCall`, tool-policy.ts): a
   * refusal ends the call, a required approval makes the task wait. None: no policy applies.
   */
  readonly policy?: ToolPolicy;
  /** Runners by tool name (BUILTIN_RUNNERS, and those of the sandboxes present). */
  readonly runners: ReadonlyMap<string, ToolRunner>;
  /** Runners of code tools (code-tools.ts) by sandbox kind, for tools whose manifest carries code. */
  readonly codeRunners?: CodeRunners;
  /** The node's artifacts, egress and secrets, handed to every runner. */
  readonly runtime: ToolRuntime;
  /**
   * The rule of the approval an irreversible call asks for when the effect ledger finds it started
   * but never finished (effect-ledger.ts); default one approve vote from the agent's administrators, no expiry.
   */
  readonly approvalRule?: (agentId: string) => Promise<ApprovalRule>;
}

const ONE_APPROVAL: ApprovalRule = { required: 1, approvers: [], ttlMs: null };

/**
 * The plan-time check of a tool task's payload: `tool` a reference, `input` an object if given,
 * `egress` the hosts the task grants its call (egress-grants.ts) if given.
 */
export function checkToolPayload(payload: JsonValue): PayloadIssue | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return { path: '', reason: 'a tool task payload is {"tool": "<name>[@version]", "input": {…}}' };
  const { tool, input, egress, ...rest } = payload;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) return { path: `.${extra}`, reason: 'is not a field of a tool task payload' };
  if (typeof tool !== 'string' || parseToolRef(tool) === null)
    return { path: '.tool', reason: 'names a tool as name or name@version (1.2.0)' };
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input)))
    return { path: '.input', reason: 'is an object' };
  const grant = egress === undefined ? null : grantListProblem(egress);
  if (grant !== null) return { path: `.egress${grant.path}`, reason: grant.reason };
  return null;
}

/** A call that passed the checks: the manifest it runs under, its input, its runner. */
export interface CheckedCall {
  readonly manifest: ToolRecord;
  readonly input: Record<string, unknown>;
  /** Undefined only when the caller asked not to require one (a dry run). */
  readonly runner: ToolRunner | undefined;
  /** The policies that make this call wait for people's approval (empty: none). */
  readonly approvalPolicies: readonly string[];
}

/**
 * The checks every call of a tool goes through, in order, each refusal a ToolCallError: the tool
 * is registered (the newest version when none is named), the agent's allow-list names it, the
 * policy set does not refuse it (tool-policy.ts), the input matches its schema, and (unless
 * `needRunner` is false) this node has a runner for it. The `tool` task type and `POST /execute`
 * both call this; the policies that require an approval are in the answer, for the caller to ask.
 */
export async function checkCall(
  options: Pick<ToolTaskOptions, 'store' | 'allowedTools' | 'runners' | 'codeRunners' | 'policy'>,
  call: { readonly tool: string; readonly agentId: string; readonly input: Record<string, unknown> },
  needRunner = true,
): Promise<CheckedCall> {
  const ref = parseToolRef(call.tool);
  if (ref === null) throw new ToolCallError('ASTRA_TOOL_NOT_FOUND', `not a tool reference: ${call.tool}`);
  const manifest = await readTool(options.store, ref.name, ref.version);
  const named = ref.version === null ? ref.name : `${ref.name}@${ref.version}`;
  if (manifest === null)
    throw new ToolCallError('ASTRA_TOOL_NOT_FOUND', `no tool ${named} is registered`, { tool: named });
  const allowed = await options.allowedTools(call.agentId);
  if (!toolAllowed(allowed, manifest.name, manifest.version))
    throw new ToolCallError(
      'ASTRA_TOOL_NOT_ALLOWED',
      `this agent may not call ${manifest.name}@${manifest.version}`,
      { tool: `${manifest.name}@${manifest.version}`, allowed_tools: allowed },
    );
  const ruling = options.policy === undefined ? null : await options.policy(call.agentId, manifest);
  if (ruling !== null && !ruling.allowed) throw policyRefusal(manifest, ruling);
  const issues = checkAgainst(manifest.inputSchema, call.input);
  if (issues.length > 0)
    throw new ToolCallError(
      'ASTRA_TOOL_INPUT_INVALID',
      `the input of ${manifest.name}@${manifest.version} does not match its schema: ${issues
        .map((issue) => `${issue.path || '(the input)'} ${issue.message}`)
        .join('; ')}`,
      { tool: `${manifest.name}@${manifest.version}`, issues },
    );
  if (manifest.sandbox === 'remote' && needRunner)
    throw new ToolCallError(
      'ASTRA_TOOL_UNAVAILABLE',
      `${manifest.name}@${manifest.version} is served by remote workers: only tool tasks of its organization's agents, submitted through the API, reach them`,
      { tool: `${manifest.name}@${manifest.version}`, sandbox: manifest.sandbox },
    );
  const kind = codeKindOf(manifest);
  const runner =
    options.runners.get(manifest.name) ?? (kind === null ? undefined : options.codeRunners?.[kind]);
  if (runner === undefined && needRunner)
    throw new ToolCallError(
      'ASTRA_TOOL_UNAVAILABLE',
      `no runner for ${manifest.name} (sandbox ${manifest.sandbox}) on this node`,
      { tool: `${manifest.name}@${manifest.version}`, sandbox: manifest.sandbox },
      // Another node may have it (the browser role, bubblewrap): a retry may land there.
      { retryable: true },
    );
  return { manifest, input: call.input, runner, approvalPolicies: ruling?.approval ?? [] };
}

export function toolTaskHandler(options: ToolTaskOptions): TaskHandler {
  return async ({ task, signal, clock }) => {
    // Its shape was checked at submission, and again at claim once its references were resolved.
    const payload = task.payload as { tool: string; input?: Record<string, unknown> };
    const checked = await checkCall(options, {
      tool: payload.tool,
      agentId: task.agentId,
      input: payload.input ?? {},
    });
    const { manifest, input, runner } = checked;
    if (runner === undefined) throw new Error('checkCall: a runner was required');
    const approvalRule = options.approvalRule ?? (async () => ONE_APPROVAL);
    const wait = await awaitPolicyApproval(options.store, task, checked, () => approvalRule(task.agentId));
    if (wait !== null) return wait;
    const { runtime } = options;
    const { storeArtifact } = callArtifacts(
      { store: runtime.artifacts, db: options.store, clock: runtime.clock },
      { taskId: task.id, goalId: task.goalId, agentId: task.agentId },
      `${manifest.name}@${manifest.version}`,
    );
    // A tool task makes one call, call 0; a tool that is not read_only runs under the ledger.
    return throughLedger(
      {
        store: options.store,
        clock,
        task,
        callIndex: 0,
        manifest,
        signal,
        approvalRule: () => approvalRule(task.agentId),
        note: (level, message, fields) => options.runtime.logger[level](fields, message),
      },
      () =>
        runner({
          input,
          manifest,
          task,
          workspace: () => options.workspaces.of(task.goalId),
          runtime,
          storeArtifact,
          signal,
        }),
    );
  };
}

/** The registry with the `tool` task type added (unless the caller registered one of its own). */
export function withToolTasks(handlers: HandlerRegistry, options: ToolTaskOptions): HandlerRegistry {
  if (handlers.get('tool') !== undefined) return handlers;
  return handlers.register('tool', toolTaskHandler(options), { checkPayload: checkToolPayload });
}
