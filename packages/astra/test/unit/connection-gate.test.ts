import { describe, expect, it } from 'vitest';
import {
  ConnectionGate,
  type ConnectionLane,
  FOREGROUND_TURNS_IN_A_ROW,
} from '../../src/adapters/sql/connection-gate.js';

/**
 * The two-lane gate of a single-connection store (connection-gate.ts): who gets the connection
 * next, and how many wait.
 */

/** Holds the gate, queues one waiter per entry (each releases at once when its turn comes), frees it. */
async function turnOrder(
  gate: ConnectionGate,
  waiters: readonly [ConnectionLane, string][],
): Promise<string[]> {
  await gate.acquire('background');
  const order: string[] = [];
  const turns = waiters.map(([lane, label]) =>
    gate.acquire(lane).then(() => {
      order.push(label);
      gate.release();
    }),
  );
  gate.release();
  await Promise.all(turns);
  return order;
}

describe('ConnectionGate', () => {
  it('gives a free connection at once and keeps it free after the release', async () => {
    const gate = new ConnectionGate();
    await gate.acquire('background');
    gate.release();
    await gate.acquire('foreground');
    expect(gate.waiting).toBe(0);
    gate.release();
  });

  it('lets foreground waiters go before background ones that came earlier', async () => {
    const order = await turnOrder(new ConnectionGate(), [
      ['background', 'b1'],
      ['foreground', 'f1'],
      ['background', 'b2'],
      ['foreground', 'f2'],
    ]);
    expect(order).toEqual(['f1', 'f2', 'b1', 'b2']);
  });

  it('serves each lane first come first served', async () => {
    const labels = (lane: ConnectionLane, prefix: string): [ConnectionLane, string][] =>
      Array.from({ length: 5 }, (_, i) => [lane, `${prefix}${i}`]);
    expect(await turnOrder(new ConnectionGate(), labels('background', 'b'))).toEqual([
      'b0',
      'b1',
      'b2',
      'b3',
      'b4',
    ]);
    expect(await turnOrder(new ConnectionGate(), labels('foreground', 'f'))).toEqual([
      'f0',
      'f1',
      'f2',
      'f3',
      'f4',
    ]);
  });

  it(`gives the oldest background waiter a turn after ${FOREGROUND_TURNS_IN_A_ROW} foreground turns in a row`, async () => {
    const background: [ConnectionLane, string][] = ['b0', 'b1', 'b2'].map((label) => ['background', label]);
    const foreground: [ConnectionLane, string][] = Array.from({ length: 20 }, (_, i) => [
      'foreground',
      `f${i}`,
    ]);
    const order = await turnOrder(new ConnectionGate(), [...background, ...foreground]);
    const f = (from: number, to: number): string[] => foreground.slice(from, to).map(([, label]) => label);
    expect(order).toEqual([...f(0, 8), 'b0', ...f(8, 16), 'b1', ...f(16, 20), 'b2']);
  });

  it('counts foreground turns in a row only while a background caller waits', async () => {
    const gate = new ConnectionGate();
    // Foreground turns with nobody in the background lane pass over no one.
    const alone: [ConnectionLane, string][] = Array.from({ length: 12 }, (_, i) => ['foreground', `a${i}`]);
    await turnOrder(gate, alone);
    const order = await turnOrder(gate, [
      ['background', 'b0'],
      ...Array.from({ length: 9 }, (_, i): [ConnectionLane, string] => ['foreground', `f${i}`]),
    ]);
    expect(order).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'b0', 'f8']);
  });

  it('hands the connection on at release, so a caller arriving then waits its turn', async () => {
    const gate = new ConnectionGate();
    await gate.acquire('background');
    let queuedHasIt = false;
    const queued = gate.acquire('background').then(() => {
      queuedHasIt = true;
    });
    gate.release();
    let lateHasIt = false;
    const late = gate.acquire('foreground').then(() => {
      lateHasIt = true;
    });
    await queued;
    expect(queuedHasIt).toBe(true);
    expect(lateHasIt).toBe(false);
    expect(gate.waiting).toBe(1);
    gate.release();
    await late;
    expect(lateHasIt).toBe(true);
    gate.release();
  });

  it('counts the waiters of both lanes', async () => {
    const gate = new ConnectionGate();
    await gate.acquire('background');
    expect(gate.waiting).toBe(0);
    const first = gate.acquire('background');
    const second = gate.acquire('foreground');
    const third = gate.acquire('background');
    expect(gate.waiting).toBe(3);
    gate.release();
    await second;
    expect(gate.waiting).toBe(2);
    gate.release();
    await first;
    expect(gate.waiting).toBe(1);
    gate.release();
    await third;
    expect(gate.waiting).toBe(0);
    gate.release();
  });
});
