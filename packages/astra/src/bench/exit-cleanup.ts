// Cleanups a benchmark must run however it ends: a private server it started, a temp dir, a child
// process, a database. Each registered cleanup runs once, on whichever comes first: the benchmark
// calling the returned function (the normal path), SIGINT/SIGTERM (Ctrl-C: every cleanup runs,
// asynchronous ones get up to 10 s together, then the process exits with 130/143), or the process
// exiting (only a cleanup's synchronous part can run then: kill a pid, remove a dir).
type Cleanup = () => void | Promise<void>;

const pending = new Set<Cleanup>();
let installed = false;

function runAll(): Promise<unknown>[] {
  const running: Promise<unknown>[] = [];
  for (const cleanup of [...pending].reverse()) {
    pending.delete(cleanup);
    try {
      const result = cleanup();
      if (result instanceof Promise) running.push(result.catch(() => undefined));
    } catch {
      // Best effort: the others still run.
    }
  }
  return running;
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', () => void runAll());
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)
    process.once(signal, () => {
      process.stderr.write(`${signal}: cleaning up\n`);
      const cap = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
      void Promise.race([Promise.all(runAll()), cap]).finally(() => process.exit(code));
    });
}

/** Registers `cleanup`; the returned function runs it now (once) and unregisters it. */
export function onExitCleanup(cleanup: Cleanup): () => Promise<void> {
  install();
  let ran: Promise<void> | undefined;
  const once = (): Promise<void> => {
    // Called synchronously: on the exit path, nothing deferred would run.
    ran ??= Promise.resolve(cleanup());
    return ran;
  };
  pending.add(once);
  return () => {
    pending.delete(once);
    return once();
  };
}
