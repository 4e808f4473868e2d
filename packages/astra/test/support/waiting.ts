/** Small waiting helpers for tests that wait on events, never on time. */
export interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

export function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Holds a store's connection (its only one, on a single-connection store) in an open transaction
 * until `release()`, which resolves once that transaction has ended: statements asked for
 * meanwhile queue for the connection.
 */
export async function holdConnection(store: {
  transaction(work: (tx: { query(text: string): Promise<unknown> }) => Promise<void>): Promise<void>;
}): Promise<{ release(): Promise<void> }> {
  const held = deferred();
  const holding = deferred();
  const transaction = store.transaction(async (tx) => {
    await tx.query('SELECT 1');
    holding.resolve();
    await held.promise;
  });
  await holding.promise;
  return {
    release: async () => {
      held.resolve();
      await transaction;
    },
  };
}

/** Values pushed by handlers or hooks, and a way to wait until there are `count` of them. */
export function recorder<T>(): {
  items: T[];
  push: (item: T) => void;
  when: (count: number) => Promise<void>;
} {
  const items: T[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    items,
    push: (item) => {
      items.push(item);
      for (const waiter of waiters.filter((w) => items.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    when: (count) =>
      items.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
  };
}

/** Lets every queued microtask and pending immediate run; used only to show that nothing more happens. */
export function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
