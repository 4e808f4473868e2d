import { checkAgainst, compareVersions, parseToolRef } from '../tools/index.js';
import { isWithin, pointerOf, referencePointers } from './pointers.js';
import type { PlanIssue, PlannerTool } from './types.js';

/**
 * The tool rules of one planned `tool` task (payload `{"tool": "name[@version]", "input": {…}}`):
 * the tool exists and the agent may use it (the newest allowed version when none is named), and
 * its input matches that version's input schema. Fields given by `$from` references are known only
 * at claim, where the tool task checks its input again (services/tools/tool-task.ts).
 */
export interface ToolCheckEnv {
  /** The tools the agent may use, every allowed version. */
  readonly tools: readonly PlannerTool[];
  /** Names of every registered tool, to tell a tool the agent may not use from one that does not exist. */
  readonly registeredTools?: ReadonlySet<string>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isReference = (value: unknown): boolean => isRecord(value) && '$from' in value;

/** The manifest a reference names among the allowed tools, or why there is none. */
export function resolveTool(
  ref: string,
  env: ToolCheckEnv,
): { tool: PlannerTool; problem: null } | { tool: null; problem: string } {
  const parsed = parseToolRef(ref);
  if (parsed === null) return { tool: null, problem: 'is not a tool reference (name, or name@1.2.0)' };
  const versions = env.tools
    .filter((tool) => tool.name === parsed.name)
    .sort((a, b) => compareVersions(b.version, a.version));
  const offered = [...new Set(env.tools.map((tool) => tool.name))].sort().join(', ') || 'none';
  if (versions.length === 0)
    return {
      tool: null,
      problem:
        env.registeredTools?.has(parsed.name) === true
          ? `the agent may not use tool "${parsed.name}" (tools it may use: ${offered})`
          : `no tool "${parsed.name.slice(0, 64)}" exists (tools the agent may use: ${offered})`,
    };
  const tool = parsed.version === null ? versions[0] : versions.find((v) => v.version === parsed.version);
  if (tool === undefined)
    return {
      tool: null,
      problem: `version ${parsed.version} of "${parsed.name}" is not one the agent may use (versions: ${versions.map((v) => v.version).join(', ')})`,
    };
  return { tool, problem: null };
}

export function toolTaskIssues(
  payload: Record<string, unknown>,
  index: number,
  env: ToolCheckEnv,
): PlanIssue[] {
  const at = (...tokens: (string | number)[]): string => pointerOf(['tasks', index, 'payload', ...tokens]);
  const ref = payload.tool;
  if (isReference(ref)) return [];
  if (typeof ref !== 'string')
    return [{ path: at('tool'), reason: 'is required: the name of the tool to call' }];
  const { tool, problem } = resolveTool(ref, env);
  if (tool === null) return [{ path: at('tool'), reason: problem }];
  const input = payload.input ?? {};
  if (isReference(input)) return [];
  if (!isRecord(input)) return [{ path: at('input'), reason: `is an object: the input of ${tool.name}` }];
  const known = referencePointers(input);
  return checkAgainst(tool.inputSchema, input)
    .filter((issue) => !known.some((ref) => isWithin(issue.path, ref)))
    .map((issue) => ({
      path: `${at('input')}${issue.path}`,
      reason: `${issue.message} (input schema of ${tool.name}@${tool.version})`,
    }));
}
