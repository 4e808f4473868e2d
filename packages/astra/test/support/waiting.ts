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
