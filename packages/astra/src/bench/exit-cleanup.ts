// Cleanups a benchmark must run however it ends: a private server it started, a temp dir, a child
// process, a database. Each registered cleanup runs once, on whichever comes first: the benchmark
// calling the returned function (the normal path), SIGINT/SIGTERM (Ctrl-C: every cleanup runs,
// asynchronous ones get up to 10 s together, then the process exits with 130/143), or the process
// exiting (only a cleanup's synchronous part can run then: kill a pid, remove a dir). The signal
// handlers are installed only while a cleanup is pending, so signals otherwise act as they would.
type Cleanup = () => void | Promise<void>;

const pending = new Set<Cleanup>();
let interrupted = false;

/** True once SIGINT/SIGTERM arrived: a benchmark starts nothing more (its cleanups are running). */
export function exiting(): boolean {
  return interrupted;
}

function runAll(): Promise<unknown>[] {
  const running: Promise<unknown>[] = [];
  for (const cleanup of [...pending].reverse()) {
    try {
      running.push(Promise.resolve(cleanup()).catch(() => undefined));
    } catch {
      // Best effort: the others still run.
    }
  }
  return running;
}

const onExit = (): void => void runAll();
const onSignal = (signal: NodeJS.Signals): void => {
  interrupted = true;
  process.stderr.write(`${signal}: cleaning up\n`);
  const cap = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
  void Promise.race([Promise.all(runAll()), cap]).finally(() =>
    process.exit(signal === 'SIGINT' ? 130 : 143),
  );
};

function listen(on: boolean): void {
  const method = on ? 'on' : 'off';
  process[method]('exit', onExit);
  process[method]('SIGINT', onSignal);
  process[method]('SIGTERM', onSignal);
}

/** Registers `cleanup`; the returned function runs it now (once) and unregisters it. */
export function onExitCleanup(cleanup: Cleanup): () => Promise<void> {
  let ran: Promise<void> | undefined;
  const once = (): Promise<void> => {
    if (pending.delete(once) && pending.size === 0 && !interrupted) listen(false);
    // Called synchronously: on the exit path, nothing deferred would run.
    ran ??= Promise.resolve(cleanup());
    return ran;
  };
  if (pending.size === 0) listen(true);
  pending.add(once);
  return once;
}
