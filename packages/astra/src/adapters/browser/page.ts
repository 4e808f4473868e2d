import { errors, type Page } from 'playwright-core';
import { BrowserFailure, type BrowserNavigation, type BrowserPage } from '../../ports/browser.js';

/** The header the egress proxy sets on its own answers (refusals), never forwarded from a site. */
const EGRESS_REFUSED_HEADER = 'x-astra-egress';

/** A Playwright error as the port's BrowserFailure; `what` names the action for the message. */
export function failureOf(error: unknown, what: string): BrowserFailure {
  if (error instanceof BrowserFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Playwright's messages carry a call log after the first line; the first line says what failed.
  const first = message.split('\n')[0] ?? message;
  if (error instanceof errors.TimeoutError)
    return new BrowserFailure('timeout', `${what}: ${first}`, { action: what });
  const netError = /net::(ERR_[A-Z_]+)/.exec(message)?.[1];
  if (netError !== undefined)
    return new BrowserFailure('navigation', `${what}: ${netError}`, { action: what, net_error: netError });
  if (/Target crashed|Page crashed/i.test(message))
    return new BrowserFailure('crashed', `${what}: the page crashed`, { action: what });
  if (/Target page, context or browser has been closed|Browser has been closed|browser has disconnected/i.test(message))
    return new BrowserFailure('closed', `${what}: the browser session ended`, { action: what });
  return new BrowserFailure('failed', `${what}: ${first}`, { action: what });
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
        return {
          url: page.url(),
          status: response?.status() ?? null,
          refusedByProxy: (await response?.headerValue(EGRESS_REFUSED_HEADER)) === 'refused',
        };
      }),
    url: () => page.url(),
    title: () => step('read the title', () => page.title()),
    click: (selector) => step(`click ${selector}`, () => page.locator(selector).first().click()),
    fill: (selector, value) => step(`fill ${selector}`, () => page.locator(selector).first().fill(value)),
    press: (selector, key) => step(`press ${key} in ${selector}`, () => page.locator(selector).first().press(key)),
    waitFor: (selector) =>
      step(`wait for ${selector}`, () => page.locator(selector).first().waitFor({ state: 'visible' })),
    text: (selector) =>
      step(selector === null ? 'read the page text' : `read the text of ${selector}`, () =>
        selector === null ? page.locator('body').innerText() : page.locator(selector).first().innerText(),
      ),
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
