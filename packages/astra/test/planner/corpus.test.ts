import { describe, expect, it } from 'vitest';
import { loadCorpus, runCase } from '../../src/bench/planner-corpus.js';

/**
 * Every recorded case of the planner's corpus through the real validator and repair loop: the
 * outcome, the number of model calls, and the JSON Pointers of the first answer's issues.
 */
describe('the planner corpus', () => {
  const corpus = loadCorpus();
  it('has the kinds of answers the benchmark measures', () => {
    expect(corpus.map((item) => item.name)).toEqual(
      expect.arrayContaining([
        'valid',
        'invalid-json-repaired',
        'cyclic-repaired',
        'unknown-tool-repaired',
        'bad-tool-input-repaired',
        'bad-dependency-repaired',
      ]),
    );
  });
  for (const item of corpus)
    it(`${item.name}: ${item.description}`, async () => {
      const run = await runCase(item);
      expect(run.outcome).toBe(item.expect.outcome);
      expect(run.attempts).toHaveLength(item.expect.attempts);
      expect(run.attempts[0]?.issues.map((issue) => issue.path)).toEqual(item.expect.first_issues);
      if (run.outcome === 'planned') expect(run.attempts.at(-1)?.issues).toEqual([]);
    });
});
