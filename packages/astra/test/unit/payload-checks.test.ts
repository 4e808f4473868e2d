import { describe, expect, it } from 'vitest';
import {
  checkFailPayload,
  checkSleepPayload,
  MAX_SLEEP_MS,
} from '../../src/kernel/executor/payload-checks.js';

describe('built-in payload checks', () => {
  it('refuses a sleep no timestamp can hold, a negative one and one of words; takes the range', () => {
    expect(checkSleepPayload({ ms: 1e300 })).toMatchObject({ path: '.ms' });
    expect(checkSleepPayload({ ms: -1 })).toMatchObject({ path: '.ms' });
    expect(checkSleepPayload({ ms: 'soon' })).toMatchObject({ path: '.ms' });
    expect(checkSleepPayload({ ms: 0 })).toBeNull();
    expect(checkSleepPayload({ ms: MAX_SLEEP_MS })).toBeNull();
    expect(checkSleepPayload({})).toBeNull();
  });

  it('checks fail fields, and leaves $from references to be resolved at claim', () => {
    expect(checkFailPayload({ times: 1.5 })).toMatchObject({ path: '.times' });
    expect(checkFailPayload({ retryable: 'no' })).toMatchObject({ path: '.retryable' });
    expect(checkFailPayload({ message: 7 })).toMatchObject({ path: '.message' });
    expect(checkFailPayload({ times: 1, message: { $from: 'config', pointer: '/message' } })).toBeNull();
    expect(checkSleepPayload({ ms: { $from: 'plan', pointer: '/delay' } })).toBeNull();
    expect(checkSleepPayload({ $from: 'plan' })).toBeNull();
  });
});
