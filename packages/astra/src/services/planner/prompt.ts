import type { LlmMessage } from '../../ports/llm.js';
import type { PlanBudget, PlanIssue, PlannerTool } from './types.js';

/**
 * The planner's messages: a system message (what a plan is, the rules the validator holds it to,
 * then the agent's assembled context), a user message (the goal, the task types, the tools with
 * their input schemas), and, for each repair, the model's previous answer and the issues found in
 * it as JSON Pointers into that answer.
 */
export const TASK_TYPE_GUIDE: Readonly<Record<string, string>> = {
  tool: 'calls one tool: payload {"tool": "<name>" or "<name>@<version>", "input": {…matching the tool\'s input_schema}}',
  llm: 'asks a model: payload {"prompt": "<text>"}, optionally "system", "schema" (a JSON answer under that schema), "max_tokens"',
  summarize:
    'summarizes text: payload {"text": "<text>"} or {"from": {"$from": "<task id>"}}, optionally "max_words", "style" (paragraph, bullets, headline)',
  code_generate:
    'writes files into the goal\'s workspace: payload {"instructions": "<what to write>"}, optionally "language", "output_files"',
  echo: "completes with its payload as its result (combine or reshape earlier tasks' results)",
  noop: 'does nothing (a join point)',
  sleep: 'waits: payload {"ms": <milliseconds>}',
};

const RULES = [
  'You are the planner of Astra, an operating system for autonomous agents. You turn a goal into a plan: a',
  'directed acyclic graph of tasks that workers run in dependency order.',
  '',
  'Answer with one JSON object {"tasks": [...]} and nothing else. Each task has exactly these fields:',
  '- "id": unique in the plan; 1-128 letters, digits, _ . : - starting with a letter or digit;',
  '- "type": one of the task types listed below;',
  '- "payload": the task\'s input object, as its type describes;',
  '- "depends_on": the ids of the tasks that must complete first ([] for none); no cycles.',
  'A task may use the result of a task it depends on (directly or through others): write',
  '{"$from": "<task id>"} for the whole result, or {"$from": "<task id>", "pointer": "/json/pointer"} for a part,',
  'where the value goes in the payload.',
  'Use only the tools listed; the "input" of a tool task must match that tool\'s input_schema.',
  'Keep the plan as small as the goal allows.',
].join('\n');

export interface PromptInput {
  readonly goalText: string;
  readonly context: string;
  readonly taskTypes: readonly string[];
  readonly tools: readonly PlannerTool[];
  readonly budget?: PlanBudget;
  readonly maxTasks: number;
  readonly taskTypeGuide?: Readonly<Record<string, string>>;
  /** Re-planning: what failed and the tasks that already completed (their ids may be depended on). */
  readonly replan?: ReplanFacts;
}

/** What a re-plan tells the model (replan.ts gathers it from the graph). */
export interface ReplanFacts {
  /** The plan id of the task that failed for good. */
  readonly failedTask: string;
  readonly error: string;
  /** Completed tasks: they stay, and planned tasks may depend on them and use their results. */
  readonly completed: readonly {
    readonly id: string;
    readonly type: string;
    /** The start of the task's result as JSON text. */
    readonly result?: string;
  }[];
  /** The unstarted tasks below the failed one, which the new tasks replace (they will not run). */
  readonly replaced?: readonly {
    readonly id: string;
    readonly type: string;
    readonly depends_on: readonly string[];
  }[];
}

function limits(input: PromptInput): string {
  const lines = [`At most ${input.maxTasks} tasks.`];
  if ((input.budget?.tokens ?? null) !== null)
    lines.push(`The LLM tasks of the plan may use about ${input.budget?.tokens} tokens in all.`);
  if ((input.budget?.usd ?? null) !== null) lines.push(`They may cost about $${input.budget?.usd} in all.`);
  return lines.join(' ');
}

export function planMessages(input: PromptInput): LlmMessage[] {
  const guide = { ...TASK_TYPE_GUIDE, ...input.taskTypeGuide };
  const types = input.taskTypes.map((type) => `- ${type}: ${guide[type] ?? 'a task type of this node'}`);
  const tools = input.tools.map((tool) => ({
    tool: `${tool.name}@${tool.version}`,
    risk_tier: tool.riskTier,
    description: tool.description,
    input_schema: tool.inputSchema,
  }));
  const system = input.context.trim() === '' ? RULES : `${RULES}\n\n# The agent\n\n${input.context.trim()}`;
  const user = [
    `# Goal\n\n${input.goalText}`,
    `# Task types\n\n${types.join('\n')}`,
    `# Tools the agent may use (each called by a "tool" task)\n\n${tools.length === 0 ? 'none' : JSON.stringify(tools)}`,
    `# Limits\n\n${limits(input)}`,
    ...(input.replan === undefined ? [] : [replanSection(input.replan)]),
  ].join('\n\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}

function replanSection(replan: ReplanFacts): string {
  const replaced = replan.replaced ?? [];
  return [
    '# Re-planning',
    '',
    `This goal is already running. Task "${replan.failedTask}" failed for good: ${replan.error}`,
    `These tasks completed and stay (with the start of each result): ${JSON.stringify(replan.completed)}.`,
    replaced.length === 0
      ? 'Nothing was waiting on the failed task.'
      : `These tasks waited on it and will not run; your plan replaces them: ${JSON.stringify(replaced)}.`,
    'Plan only the remaining work, as new tasks with new ids (not the ids above). A new task may depend on a',
    'completed task (name it in depends_on) and use its result with {"$from": "<completed task id>"}; it may',
    'not depend on the failed task or on the tasks it replaces.',
  ].join('\n');
}

/** The follow-up that asks for a repaired plan. */
export function repairMessage(issues: readonly PlanIssue[], more: number): LlmMessage {
  const list = JSON.stringify(issues.map((issue) => ({ path: issue.path, reason: issue.reason })));
  const rest = more > 0 ? `\n(and ${more} more of the same kinds)` : '';
  return {
    role: 'user',
    content: [
      'Your plan was not accepted. Its problems, each a JSON Pointer into your answer and what is wrong:',
      `${list}${rest}`,
      'Answer again with the whole corrected plan as one JSON object.',
    ].join('\n'),
  };
}
