import type { Browser, BrowserContext, LaunchOptions } from 'playwright-core';
import {
  BrowserFailure,
  type BrowserPage,
  type BrowserPool,
  type BrowserPoolStats,
  type BrowserSessionOptions,
} from '../../ports/browser.js';
import type { Clock } from '../../time/clock.js';
import { BROWSER_DEFAULTS } from './browser-defaults.js';
import { chromiumArgs, chromiumSandboxAvailable, DEAD_PROXY } from './launch-flags.js';
import { failureOf, wrapPage } from './page.js';

/**
 * The browser pool (ports/browser.ts) over playwright-core and a Chromium on this machine: up to
 * `size` browser processes, started on first use and reused; each call gets one browser to itself
 * and a fresh context on it, closed after the call. A browser that disconnects (crashed, killed) is
 * forgotten and replaced by the next launch; one that served `maxSessionsPerBrowser` sessions is
 * closed and replaced, which bounds whatever a long-lived process accumulates.
 */
export interface BrowserPoolOptions {
  readonly clock: Clock;
  readonly executablePath?: string;
  readonly size?: number;
  readonly actionTimeoutMs?: number;
  readonly launchTimeoutMs?: number;
  readonly maxSessionsPerBrowser?: number;
  /** Starts one browser (default: playwright-core's `chromium.launch`); tests wrap it. */
  readonly launch?: (options: LaunchOptions) => Promise<Browser>;
  readonly onError?: (error: unknown, context: string) => void;
}

interface Slot {
  readonly browser: Browser;
  sessions: number;
  alive: boolean;
}

export function createBrowserPool(options: BrowserPoolOptions): BrowserPool {
  const size = options.size ?? BROWSER_DEFAULTS.poolSize;
  const actionTimeoutMs = options.actionTimeoutMs ?? BROWSER_DEFAULTS.actionTimeoutMs;
  const maxSessions = options.maxSessionsPerBrowser ?? BROWSER_DEFAULTS.maxSessionsPerBrowser;
  // Playwright loads with the first launch: a node without the browser role never loads it.
  const launch =
    options.launch ??
    (async (launchOptions: LaunchOptions) =>
      (await import('playwright-core')).chromium.launch(launchOptions));
  const onError = options.onError ?? (() => {});
  const launchOptions: LaunchOptions = {
    executablePath: options.executablePath ?? BROWSER_DEFAULTS.executablePath,
    headless: true,
    chromiumSandbox: chromiumSandboxAvailable(),
    args: chromiumArgs(),
    // Traffic outside every session goes nowhere; each session's context names the egress proxy.
    proxy: { server: DEAD_PROXY },
    timeout: options.launchTimeoutMs ?? BROWSER_DEFAULTS.launchTimeoutMs,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  };

  const slots = new Set<Slot>();
  const idle: Slot[] = [];
  const waiters: (() => void)[] = [];
  let launching = 0;
  let launches = 0;
  let busy = 0;
  let closed = false;

  const wakeOne = (): void => waiters.shift()?.();

  function retire(slot: Slot): void {
    slot.alive = false;
    slots.delete(slot);
    const at = idle.indexOf(slot);
    if (at >= 0) idle.splice(at, 1);
    slot.browser.close().catch((error: unknown) => onError(error, 'closing a browser failed'));
    wakeOne();
  }

  async function start(): Promise<Slot> {
    launching += 1;
    try {
      const browser = await launch(launchOptions);
      launches += 1;
      const slot: Slot = { browser, sessions: 0, alive: true };
      slots.add(slot);
      browser.on('disconnected', () => {
        if (!slot.alive) return;
        slot.alive = false;
        slots.delete(slot);
        const at = idle.indexOf(slot);
        if (at >= 0) idle.splice(at, 1);
        wakeOne();
      });
      if (closed) {
        retire(slot);
        throw new BrowserFailure('closed', 'the browser pool is closed');
      }
      return slot;
    } catch (error) {
      if (error instanceof BrowserFailure) throw error;
      wakeOne();
      const message =
        error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
      throw new BrowserFailure('launch', `no browser could be started: ${message}`, {
        executable: launchOptions.executablePath,
      });
    } finally {
      launching -= 1;
    }
  }

  async function acquire(signal: AbortSignal): Promise<Slot> {
    for (;;) {
      if (closed) throw new BrowserFailure('closed', 'the browser pool is closed');
      signal.throwIfAborted();
      const ready = idle.pop();
      if (ready !== undefined) {
        if (ready.alive) return ready;
        continue;
      }
      if (slots.size + launching < size) return start();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const at = waiters.indexOf(wake);
          if (at >= 0) waiters.splice(at, 1);
          reject(signal.reason);
        };
        const wake = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        waiters.push(wake);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  function release(slot: Slot): void {
    if (!slot.alive) return;
    if (closed || slot.sessions >= maxSessions) {
      retire(slot);
      return;
    }
    idle.push(slot);
    wakeOne();
  }

  async function withPage<T>(
    session: BrowserSessionOptions,
    work: (page: BrowserPage) => Promise<T>,
  ): Promise<T> {
    // One signal for the call: the caller's abort, the session's deadline, the browser's death.
    const stop = new AbortController();
    const endTimer = new AbortController();
    const stopWith = (failure: BrowserFailure): void => {
      if (!stop.signal.aborted) stop.abort(failure);
    };
    const onCallerAbort = (): void => stopWith(new BrowserFailure('cancelled', 'the call was cancelled'));
    if (session.signal?.aborted) onCallerAbort();
    session.signal?.addEventListener('abort', onCallerAbort, { once: true });
    options.clock.sleep(session.timeoutMs, endTimer.signal).then(
      () =>
        stopWith(
          new BrowserFailure('deadline', `the browser session ran past its ${session.timeoutMs} ms`, {
            timeout_ms: session.timeoutMs,
          }),
        ),
      () => {},
    );
    const stopped = new Promise<never>((_, reject) => {
      const fail = (): void => reject(stop.signal.reason);
      if (stop.signal.aborted) fail();
      else stop.signal.addEventListener('abort', fail, { once: true });
    });
    stopped.catch(() => {});

    let slot: Slot | undefined;
    let context: BrowserContext | undefined;
    let working = false;
    busy += 1;
    try {
      const acquiring = acquire(stop.signal);
      slot = await Promise.race([acquiring, stopped]).catch((error: unknown) => {
        // Stopped while a browser was starting for this call: it goes to the pool once it is up.
        acquiring.then(release, () => {});
        throw stop.signal.aborted ? stop.signal.reason : failureOf(error, 'start the browser');
      });
      const held = slot;
      held.sessions += 1;
      const onDisconnect = (): void =>
        stopWith(new BrowserFailure('crashed', 'the browser exited during the call'));
      held.browser.once('disconnected', onDisconnect);
      try {
        context = await Promise.race([
          held.browser.newContext({
            proxy: {
              server: session.proxy.server,
              username: session.proxy.username,
              password: session.proxy.password,
            },
            acceptDownloads: false,
            serviceWorkers: 'block',
            viewport: { width: 1280, height: 720 },
          }),
          stopped,
        ]);
        context.setDefaultTimeout(actionTimeoutMs);
        // A page load may take the call's whole wall time; the deadline bounds it.
        context.setDefaultNavigationTimeout(session.timeoutMs);
        const page = await Promise.race([context.newPage(), stopped]);
        page.on('crash', () => stopWith(new BrowserFailure('crashed', 'the page crashed')));
        working = true;
        const running = work(wrapPage(page));
        running.catch(() => {});
        return await Promise.race([running, stopped]);
      } catch (error) {
        // Once the call is stopped, whatever the work saw afterwards (a closed page) is a consequence.
        if (stop.signal.aborted) throw stop.signal.reason;
        // The work's own errors are its caller's (the page's failures are BrowserFailures already).
        if (working) throw error;
        throw failureOf(error, 'browser');
      } finally {
        held.browser.off('disconnected', onDisconnect);
      }
    } finally {
      endTimer.abort();
      session.signal?.removeEventListener('abort', onCallerAbort);
      if (context !== undefined)
        await context.close().catch((error: unknown) => {
          if (slot?.alive === true) onError(error, 'closing a browser context failed');
        });
      busy -= 1;
      if (slot !== undefined) release(slot);
    }
  }

  return {
    withPage,
    stats: (): BrowserPoolStats => ({ size, browsers: slots.size, launches, busy, waiting: waiters.length }),
    async close() {
      if (closed) return;
      closed = true;
      for (const wake of waiters.splice(0)) wake();
      await Promise.all(
        [...slots].map(async (slot) => {
          slot.alive = false;
          slots.delete(slot);
          await slot.browser.close().catch((error: unknown) => onError(error, 'closing a browser failed'));
        }),
      );
      idle.length = 0;
    },
  };
}
