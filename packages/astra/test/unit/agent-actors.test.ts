import { describe, expect, it } from 'vitest';
import type { SubmitGoalInput, SubmittedGoal, TaskEngine } from '../../src/kernel/index.js';
import type { SqlExecutor } from '../../src/ports/sql-store.js';
import { createAgentActors } from '../../src/services/agents/agent-actors.js';
import { ManualClock } from '../../src/time/clock.js';
import { type Deferred, deferred, recorder, settled } from '../support/waiting.js';

const AGENT = '00000000-0000-4000-8000-00000000a001';
const tx = {} as SqlExecutor;

/** An engine whose submissions run their admission check at once and end when the test says so. */
function heldEngine() {
  const steps = recorder<string>();
  const held = new Map<string, Deferred>();
  const engine = {
    submitGoal: async (input: SubmitGoalInput): Promise<SubmittedGoal> => {
      steps.push(`start ${input.goalText}`);
      const done = deferred();
      held.set(input.goalText, done);
      if (input.admit !== undefined) {
        await input.admit(tx);
        steps.push(`admitted ${input.goalText}`);
      }
      await done.promise;
      return {
        goalId: input.goalText,
        graphId: null,
        taskCount: 1,
        status: 'active',
        existing: false,
        approvalId: null,
      };
    },
  };
  const release = (text: string): void => held.get(text)?.resolve();
  return { engine: engine as unknown as TaskEngine, steps, release };
}

describe('agent actors', () => {
  it('start the next goal once the previous one has sent its admission check, in arrival order', async () => {
    const { engine, steps, release } = heldEngine();
    const actors = createAgentActors({ engine, clock: new ManualClock(0), mailboxCapacity: 16 });
    actors.ensure(AGENT);
    const checked = recorder<string>();
    const admit = (text: string) => async () => checked.push(text);
    const first = actors.submitGoal({ agentId: AGENT, goalText: 'a', plan: {}, admit: admit('a') });
    const second = actors.submitGoal({ agentId: AGENT, goalText: 'b', plan: {}, admit: admit('b') });
    await steps.when(4);
    expect(checked.items).toEqual(['a', 'b']);
    // The second goal is written while the first is not done yet, and ends first here.
    release('b');
    expect((await second).goalId).toBe('b');
    release('a');
    expect((await first).goalId).toBe('a');
    await actors.stop();
  });

  it('keep a goal without an admission check waiting until the one before it is done', async () => {
    const { engine, steps, release } = heldEngine();
    const actors = createAgentActors({ engine, clock: new ManualClock(0), mailboxCapacity: 16 });
    actors.ensure(AGENT);
    const first = actors.submitGoal({ agentId: AGENT, goalText: 'a', plan: {} });
    const second = actors.submitGoal({ agentId: AGENT, goalText: 'b', plan: {} });
    await steps.when(1);
    await settled();
    expect(steps.items).toEqual(['start a']);
    release('a');
    await first;
    await steps.when(2);
    expect(steps.items).toEqual(['start a', 'start b']);
    release('b');
    await second;
    await actors.stop();
  });
});
