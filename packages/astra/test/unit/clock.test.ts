import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/time/clock.js';

describe('ManualClock', () => {
  it('wakes sleepers in deadline order as time advances', async () => {
    const clock = new ManualClock(1000);
    const woke: string[] = [];
    void clock.sleep(30).then(() => woke.push(`b@${clock.now()}`));
    void clock.sleep(10).then(() => woke.push(`a@${clock.now()}`));
    await clock.advance(5);
    expect(woke).toEqual([]);
    await clock.advance(100);
    expect(woke).toEqual(['a@1010', 'b@1030']);
    expect(clock.now()).toBe(1105);
  });

  it('runs chained sleeps scheduled by a woken sleeper within the same advance', async () => {
    const clock = new ManualClock(0);
    const woke: number[] = [];
    void (async () => {
      await clock.sleep(10);
      woke.push(clock.now());
      await clock.sleep(10);
      woke.push(clock.now());
    })();
    await clock.advance(25);
    expect(woke).toEqual([10, 20]);
  });

  it('rejects a sleep aborted before its deadline and forgets it', async () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(50, controller.signal);
    expect(clock.pendingSleeps).toBe(1);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(clock.pendingSleeps).toBe(0);
  });
});

describe('systemClock', () => {
  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already'));
    await expect(systemClock.sleep(10_000, controller.signal)).rejects.toThrow('already');
  });
});
