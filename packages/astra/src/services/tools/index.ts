/**
 * The tools service: the registry of tool manifests (what the runtime enforces about each tool
 * version), the checks of a call against them (an agent's allow-list, the input schema), and the
 * registry's routes. Other services import this file only (tools/check-imports.mjs).
 */
export { toolAllowed } from './allowed-tools.js';
export { type ArtifactProducer, recordArtifact } from './artifact-ledger.js';
export {
  ARTIFACT_RETENTION_DEFAULTS,
  type ArtifactRetention,
  type SweepCounts,
  startArtifactRetention,
  sweepArtifacts,
} from './artifact-retention.js';
export { type BrowserRunnerOptions, type BrowserStep, browserRunners, pngSize } from './browser-runners.js';
export { BUILTIN_RUNNERS } from './builtin-tools.js';
export {
  type ArtifactKeeper,
  type CallArtifacts,
  callArtifacts,
  type StoreArtifact,
} from './call-artifacts.js';
export type { CallerInfo, CallerOf } from './call-context.js';
export { actorOf } from './change-actor.js';
export { type CodeDrivers, type CodeRunners, codeToolRunners } from './code-tools.js';
export {
  EFFECT_STATUSES,
  type EffectRecord,
  type EffectStatus,
  effectRow,
  idempotencyKey,
  type LedgeredCall,
  ledgered,
  readEffect,
  throughLedger,
} from './effect-ledger.js';
export { EgressGrant, EgressGrantList, grantListProblem } from './egress-grants.js';
export {
  createEgressLogSink,
  EGRESS_LOG_DEFAULTS,
  type EgressLogSink,
  readTaskEgress,
} from './egress-log.js';
export { readTaskApproval } from './execute-store.js';
export { httpRequestRunner } from './http-request.js';
export { checkAgainst, compileSchema, type SchemaIssue } from './json-schema.js';
export {
  DEFAULT_TOOL_LIMITS,
  type EgressRule,
  type FilesystemScope,
  MAX_TOOL_LIMITS,
  parseToolRef,
  RISK_TIERS,
  type RiskTier,
  SANDBOX_KINDS,
  type SandboxKind,
  SIDE_EFFECTS,
  type SideEffect,
  TOOL_NAME,
  type ToolLimits,
  type ToolManifest,
  type ToolRef,
} from './manifest.js';
export { type RemoteToolGate, type RemoteToolGateOptions, remoteToolGate } from './remote-tool-calls.js';
export {
  isRemoteToolType,
  type RemoteToolInput,
  RemoteToolManifest,
  registerRemoteTools,
  remoteToolType,
  routeRemoteTools,
} from './remote-tools.js';
export { type SandboxDrivers, sandboxLimits, sandboxRunners } from './sandbox-runners.js';
export { shellExecRunner } from './shell-exec.js';
export type { ToolCall, ToolRunner, ToolRuntime } from './tool-call.js';
export { codeKindOf, MAX_CODE_BYTES } from './tool-code.js';
export { ToolCallError, type ToolErrorCode } from './tool-errors.js';
export type { ToolPolicy, ToolPolicyAnswer } from './tool-policy.js';
export {
  compareVersions,
  listTools,
  listVersions,
  readTool,
  registerTool,
  removeTool,
  type ToolRecord,
  toolRiskTiers,
} from './tool-store.js';
export { checkToolPayload, type ToolTaskOptions, toolTaskHandler, withToolTasks } from './tool-task.js';
export { type Workspace, Workspaces, workspacePathProblem } from './workspace.js';
