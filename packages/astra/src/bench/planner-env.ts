import { HandlerRegistry, type Plan, validatePlan } from '../kernel/index.js';
import { type LlmCall, type LlmClient, type LlmResult, NO_USAGE } from '../ports/llm.js';
import type { PlanCheckEnv, PlannerTool } from '../services/planner/index.js';
import { checkToolPayload } from '../services/tools/index.js';

/**
 * What the planner benchmark and its corpus (planner-corpus/*.json) run against: the built-in
 * tools as migration 0013 registers them, a node's task types with the kernel's real plan
 * validation, and an LlmClient that replays a case's recorded answers in order.
 */
const object = (properties: Record<string, unknown>, required: string[]): Record<string, unknown> => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const text = { type: 'string', minLength: 1 };

export const CORPUS_TOOLS: readonly PlannerTool[] = [
  {
    name: 'file_read',
    version: '1.0.0',
    riskTier: 'low',
    description: "Read a file of the goal's workspace.",
    inputSchema: object({ path: text }, ['path']),
  },
  {
    name: 'file_write',
    version: '1.0.0',
    riskTier: 'medium',
    description: "Write a file of the goal's workspace.",
    inputSchema: object({ path: text, content: { type: 'string' } }, ['path', 'content']),
  },
  {
    name: 'http_request',
    version: '1.0.0',
    riskTier: 'medium',
    description: 'Make an HTTP request through the egress proxy (no host unless allowed).',
    inputSchema: object(
      {
        url: text,
        method: { type: 'string' },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        body: { type: 'string' },
      },
      ['url'],
    ),
  },
  {
    name: 'shell_exec',
    version: '1.0.0',
    riskTier: 'high',
    description: "Run a shell command in a sandbox over the goal's workspace.",
    inputSchema: object({ command: text }, ['command']),
  },
];

/** The task types of the corpus's node: tool tasks, LLM tasks, and the kernel's own. */
export const CORPUS_TASK_TYPES = ['tool', 'llm', 'summarize', 'echo', 'noop'] as const;

/** The kernel's validation of a declared plan over a registry of those types (tool payloads checked). */
export function corpusValidatePlan(): (raw: unknown) => Plan {
  const handlers = new HandlerRegistry();
  for (const type of [...CORPUS_TASK_TYPES, 'plan'])
    handlers.register(type, async () => null, type === 'tool' ? { checkPayload: checkToolPayload } : {});
  return (raw) =>
    validatePlan(raw, {
      knownTypes: handlers.types(),
      checkPayload: (type, payload) => handlers.checkPayload(type, payload),
    });
}

export function corpusEnv(budget: PlanCheckEnv['budget'] = {}): PlanCheckEnv {
  return {
    taskTypes: [...CORPUS_TASK_TYPES],
    tools: CORPUS_TOOLS,
    registeredTools: new Set([...CORPUS_TOOLS.map((tool) => tool.name), 'browser:screenshot']),
    budget,
    validatePlan: corpusValidatePlan(),
  };
}

/**
 * An LlmClient that answers each call with the next recorded answer (its text as the model wrote
 * it; `json` when that text parses, as a router hands back a structured answer). Past the last
 * answer it throws: a case that asks more than it recorded is a broken case. `calls` keeps every
 * call's messages.
 */
export interface RecordedLlm extends LlmClient {
  readonly calls: LlmCall[];
}

export function recordedLlm(answers: readonly string[], model = 'recorded/planner'): RecordedLlm {
  const calls: LlmCall[] = [];
  return {
    calls,
    providers: () => [{ name: 'recorded', kind: 'openai' }],
    async complete(call): Promise<LlmResult> {
      const text = answers[calls.length];
      calls.push(call);
      if (text === undefined)
        throw new Error(
          `the recording has ${answers.length} answers; call ${calls.length} asked for one more`,
        );
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const outputTokens = Math.ceil(text.length / 4);
      return {
        text,
        toolCalls: [],
        ...(json === undefined ? {} : { json }),
        finishReason: 'stop',
        model,
        usage: { ...NO_USAGE, inputTokens: 1_000, outputTokens },
        costUsd: 0,
        cacheHit: false,
        latencyMs: 0,
        attempts: [{ model, outcome: 'ok' }],
      };
    },
  };
}
