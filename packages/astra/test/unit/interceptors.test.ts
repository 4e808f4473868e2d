import { describe, expect, it } from 'vitest';
import { assertResultWithinLimit } from '../../src/kernel/executor/result-limit.js';
import { chain, type Interceptor } from '../../src/kernel/interceptors.js';

describe('interceptor chains', () => {
  const tracing =
    (name: string, log: string[]): Interceptor<number, number> =>
    async (input, next) => {
      log.push(`${name} in ${input}`);
      const output = await next(input + 1);
      log.push(`${name} out ${output}`);
      return output;
    };

  it('runs the first interceptor outermost, each seeing the input the previous passed on', async () => {
    const log: string[] = [];
    const run = chain([tracing('a', log), tracing('b', log)], async (input) => {
      log.push(`last ${input}`);
      return input * 10;
    });
    expect(await run(1)).toBe(30);
    expect(log).toEqual(['a in 1', 'b in 2', 'last 3', 'b out 30', 'a out 30']);
  });

  it('lets an interceptor answer without calling next', async () => {
    let reached = false;
    const run = chain<number, number>([async () => 7], async () => {
      reached = true;
      return 0;
    });
    expect(await run(1)).toBe(7);
    expect(reached).toBe(false);
  });

  it('propagates an error from further in through each interceptor, which may translate it', async () => {
    const seen: string[] = [];
    const run = chain<number, number>(
      [
        async (input, next) =>
          next(input).catch((error: Error) => Promise.reject(new Error(`outer: ${error.message}`))),
        async (input, next) => {
          try {
            return await next(input);
          } finally {
            seen.push('inner saw the end');
          }
        },
      ],
      async () => {
        throw new Error('boom');
      },
    );
    await expect(run(1)).rejects.toThrow('outer: boom');
    expect(seen).toEqual(['inner saw the end']);
  });

  it('is the last step itself without interceptors', () => {
    const last = async (input: number): Promise<number> => input;
    expect(chain([], last)).toBe(last);
  });
});

describe('the result limit', () => {
  it('refuses a result larger than the limit, telling the handler to store an artifact', () => {
    expect(() => assertResultWithinLimit({ body: 'x'.repeat(100) }, 64)).toThrow(
      /more than the 64-byte result limit: store the value as an artifact and return its reference, \{"\$artifact": "astra:\/\/artifacts\/<id>"\}/,
    );
    expect(() => assertResultWithinLimit('é'.repeat(40), 64)).toThrow(/the result is 82 bytes/);
  });

  it('accepts results up to the limit', () => {
    expect(() => assertResultWithinLimit({ body: 'x'.repeat(40) }, 64)).not.toThrow();
    expect(() => assertResultWithinLimit(null, 1)).not.toThrow();
    expect(() => assertResultWithinLimit(12345, 64)).not.toThrow();
  });
});
