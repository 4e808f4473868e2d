/**
 * Browser port: a pool of headless browsers that runs one tool call at a time per browser, each call
 * in a fresh browsing context whose every request goes through the egress proxy.
 *
 * Glossary:
 * - pool: up to `size` browser processes, launched on first use and reused across calls; one call
 *   holds one browser at a time (more calls wait their turn). A browser that crashes or disconnects
 *   is dropped and the next call launches a new one.
 * - session: one call's browsing context (cookies, storage, cache, permissions, service workers),
 *   created for the call and closed after it, whatever happened; nothing of it is seen by the next.
 * - proxy: the egress proxy's loopback listener and the call's session credential. The context
 *   sends every request there (loopback included); the browser itself has no other way out.
 *
 * Rules every implementation keeps (checked by test/browser):
 * - `withPage` resolves what `work` resolves, or rejects with a BrowserFailure: the session's
 *   deadline (`timeoutMs`) passed (`deadline`), one action outlived the action timeout (`timeout`),
 *   a navigation failed at the network level (`navigation`), the page's script threw (`evaluate`),
 *   the browser or page crashed (`crashed`), no browser could be started (`launch`), the signal
 *   aborted (`cancelled`), or anything else (`failed`).
 * - When `withPage` settles the context is closed; the browser goes back to the pool unless it died.
 * - `close` ends every browser; calls after it reject `closed`.
 */

export type BrowserFailureKind =
  | 'deadline'
  | 'timeout'
  | 'navigation'
  | 'evaluate'
  | 'crashed'
  | 'launch'
  | 'cancelled'
  | 'closed'
  | 'failed';

export class BrowserFailure extends Error {
  readonly kind: BrowserFailureKind;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(kind: BrowserFailureKind, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'BrowserFailure';
    this.kind = kind;
    this.details = details;
  }
}

/** Where a session's requests go: the proxy's `http://host:port` and the session's credential. */
export interface BrowserProxy {
  readonly server: string;
  readonly username: string;
  readonly password: string;
}

export interface BrowserSessionOptions {
  readonly proxy: BrowserProxy;
  /** The whole session's wall time: past it the context is closed and the call rejects `deadline`. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface BrowserNavigation {
  /** The URL the page ended on (after redirects). */
  readonly url: string;
  /** The main response's status; null when there was none (an `about:` or same-document navigation). */
  readonly status: number | null;
  /** True when the egress proxy answered the navigation itself (a refusal or failure), not the site. */
  readonly refusedByProxy: boolean;
  /** The ASTRA_EGRESS_* code of the proxy's answer, when it answered. */
  readonly proxyCode: string | null;
}

/** One page of a session. Selectors are Playwright's (CSS, `text=…`, `role=…`). */
export interface BrowserPage {
  goto(url: string): Promise<BrowserNavigation>;
  url(): string;
  title(): Promise<string>;
  click(selector: string): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  press(selector: string, key: string): Promise<void>;
  /** Waits until the selector matches a visible element. */
  waitFor(selector: string): Promise<void>;
  /** The rendered text of the first element matching `selector`, or of the whole page when null. */
  text(selector: string | null): Promise<string>;
  /** A PNG of the viewport, or of the whole page. */
  screenshot(fullPage: boolean): Promise<Uint8Array>;
  /** Evaluates a JavaScript expression in the page; a promise is awaited. The value is JSON-cloned. */
  evaluate(expression: string): Promise<unknown>;
}

export interface BrowserPoolStats {
  readonly size: number;
  /** Browsers alive now. */
  readonly browsers: number;
  /** Browsers started since the pool was made (a replaced one counts again). */
  readonly launches: number;
  /** Sessions running now. */
  readonly busy: number;
  /** Calls waiting for a browser. */
  readonly waiting: number;
}

export interface BrowserPool {
  withPage<T>(options: BrowserSessionOptions, work: (page: BrowserPage) => Promise<T>): Promise<T>;
  stats(): BrowserPoolStats;
  close(): Promise<void>;
}
