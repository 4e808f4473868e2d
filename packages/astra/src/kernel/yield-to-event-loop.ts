/**
 * Lets the event loop run its I/O (HTTP requests, `/health`, timers) before going on.
 *
 * Embedded mode runs PGlite and the in-process bus in the same thread as the gateway, and both
 * answer through promises alone: a loop of claim → run → complete → publish → read never reaches
 * the loop's I/O phase, so one 2,000-task chain starved `/health` for 27 s and the worker manager
 * declared its own executor dead. Each long-running kernel loop (the bus consumer per read, group
 * commit per flush) awaits this once per turn; `setImmediate` runs after pending I/O callbacks.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
