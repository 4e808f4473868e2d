import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LlmScope } from '../ports/llm.js';
import { type PlanAttempt, PlanRejected, planGoal } from '../services/planner/index.js';
import { CORPUS_TOOLS, corpusEnv, recordedLlm } from './planner-env.js';

/**
 * The planner's corpus: recorded model answers (planner-corpus/*.json), each a sequence the repair
 * loop replays in order, with what the loop must make of them: planned or rejected, after how many
 * attempts, and the JSON Pointers of the first answer's issues. The benchmark and the unit tests
 * run the same cases through the real validator and repair loop.
 */
export interface CorpusCase {
  readonly name: string;
  readonly description: string;
  readonly goal: string;
  readonly answers: readonly string[];
  readonly expect: {
    readonly outcome: 'planned' | 'rejected';
    readonly attempts: number;
    readonly first_issues: readonly string[];
  };
}

/** Resolves from src/bench and from dist/bench alike: the corpus stays in the source tree. */
const CORPUS_DIR = fileURLToPath(new URL('../../src/bench/planner-corpus/', import.meta.url));

export function loadCorpus(dir = CORPUS_DIR): CorpusCase[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as CorpusCase);
}

export const CORPUS_SCOPE: LlmScope = {
  orgId: 'bench',
  agentId: null,
  goalId: null,
  taskId: null,
  purpose: 'plan',
};

export interface CaseRun {
  readonly outcome: 'planned' | 'rejected';
  readonly attempts: readonly PlanAttempt[];
  readonly taskCount: number;
}

/** One case through planGoal with its recorded answers. */
export async function runCase(item: CorpusCase): Promise<CaseRun> {
  const { tools, ...env } = corpusEnv();
  const llm = recordedLlm(item.answers);
  try {
    const planned = await planGoal({
      ...env,
      goalText: item.goal,
      context: 'You plan for a research agent.',
      allowedTools: CORPUS_TOOLS,
      llm,
      scope: CORPUS_SCOPE,
      maxAttempts: 3,
    });
    return { outcome: 'planned', attempts: planned.attempts, taskCount: planned.plan.tasks.length };
  } catch (error) {
    if (!(error instanceof PlanRejected)) throw error;
    return { outcome: 'rejected', attempts: error.attempts, taskCount: 0 };
  }
}
