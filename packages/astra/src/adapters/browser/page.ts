import type { Page, Response } from 'playwright-core';
import { BrowserFailure, type BrowserNavigation, type BrowserPage } from '../../ports/browser.js';

/** The header the egress proxy sets on its own answers (refusals), never forwarded from a site. */
const EGRESS_REFUSED_HEADER = 'x-astra-egress';

/** A Playwright error as the port's BrowserFailure; `what` names the action for the message. */
export function failureOf(error: unknown, what: string): BrowserFailure {
  if (error instanceof BrowserFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Playwright's messages carry a call log after the first line; the first line says what failed.
  const first = message.split('\n')[0] ?? message;
  // Playwright's errors.TimeoutError, by name: this module does not load Playwright itself.
  if (error instanceof Error && error.name === 'TimeoutError')
    return new BrowserFailure('timeout', `${what}: ${first}`, { action: what });
  const netError = /net::(ERR_[A-Z_]+)/.exec(message)?.[1];
  if (netError !== undefined)
    return new BrowserFailure('navigation', `${what}: ${netError}`, { action: what, net_error: netError });
  if (/Target crashed|Page crashed/i.test(message))
    return new BrowserFailure('crashed', `${what}: the page crashed`, { action: what });
  if (
    /Target page, context or browser has been closed|Browser has been closed|browser has disconnected/i.test(
      message,
    )
  )
    return new BrowserFailure('closed', `${what}: the browser session ended`, { action: what });
  return new BrowserFailure('failed', `${what}: ${first}`, { action: what });
}

/** The code of the egress proxy's JSON answer (`{"error": {"code": …}}`), or null. */
async function proxyCodeOf(response: Response): Promise<string | null> {
  try {
    const body = (await response.json()) as { error?: { code?: unknown } };
    return typeof body.error?.code === 'string' ? body.error.code : null;
  } catch {
    return null;
  }
}

async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw failureOf(error, what);
  }
}

export function wrapPage(page: Page): BrowserPage {
  return {
    goto: (url) =>
      step(`navigate to ${url}`, async (): Promise<BrowserNavigation> => {
        const response = await page.goto(url, { waitUntil: 'load' });
        const byProxy = (await response?.headerValue(EGRESS_REFUSED_HEADER)) === 'refused';
        return {
          url: page.url(),
          status: response?.status() ?? null,
          refusedByProxy: byProxy,
          proxyCode: byProxy && response != null ? await proxyCodeOf(response) : null,
        };
      }),
    url: () => page.url(),
    title: () => step('read the title', () => page.title()),
    click: (selector) => step(`click ${selector}`, () => page.locator(selector).first().click()),
    fill: (selector, value) => step(`fill ${selector}`, () => page.locator(selector).first().fill(value)),
    press: (selector, key) =>
      step(`press ${key} in ${selector}`, () => page.locator(selector).first().press(key)),
    waitFor: (selector) =>
      step(`wait for ${selector}`, () => page.locator(selector).first().waitFor({ state: 'visible' })),
    text: (selector) => {
      const target = page.locator(selector ?? 'body').first();
      // The rendered text (what a reader sees, without scripts and hidden parts).
      // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator, not a DOM node
      const read = () => target.innerText();
      return step(selector === null ? 'read the page text' : `read the text of ${selector}`, read);
    },
    screenshot: (fullPage) =>
      step('take a screenshot', async () => new Uint8Array(await page.screenshot({ type: 'png', fullPage }))),
    evaluate: async (expression) => {
      try {
        // An expression, not a function: Playwright evaluates a string as the page's own script would.
        return await page.evaluate(expression);
      } catch (error) {
        const failure = failureOf(error, 'evaluate');
        if (failure.kind !== 'failed') throw failure;
        throw new BrowserFailure('evaluate', failure.message, { action: 'evaluate' });
      }
    },
  };
}
