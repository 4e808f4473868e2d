import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_DEFAULTS, createBrowserPool } from '../../src/adapters/browser/index.js';
import { createEgressProxy, createMemoryEgressSink } from '../../src/adapters/egress/index.js';
import type { BrowserPool, BrowserProxy } from '../../src/ports/browser.js';
import type { EgressProxy, EgressSession } from '../../src/ports/egress.js';
import { systemClock } from '../../src/time/clock.js';
import { startTestSite, type TestSite } from './site.js';

const CHROMIUM = BROWSER_DEFAULTS.executablePath;
const present = existsSync(CHROMIUM);
if (!present) console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

function proxyOf(session: EgressSession): BrowserProxy {
  const url = new URL(session.proxyUrl ?? '');
  return { server: `http://${url.host}`, username: url.username, password: url.password };
}

describe.skipIf(!present)('browser pool over Chromium', () => {
  let dir: string;
  let site: TestSite;
  let egress: EgressProxy;
  let pool: BrowserPool;
  const sink = createMemoryEgressSink();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'astra-br-'));
    site = await startTestSite();
    egress = await createEgressProxy({
      socketDir: path.join(dir, 'egress'),
      sink,
      clock: systemClock,
      tcp: { port: 0 },
    });
    pool = createBrowserPool({ clock: systemClock, size: 1, actionTimeoutMs: 10_000 });
  });
  afterAll(async () => {
    await pool?.close();
    await egress?.close();
    await site?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const open = (taskId: string) =>
    egress.open({
      identity: { orgId: 'o', agentId: 'a', taskId, tool: 'browser_navigate@1.0.0' },
      grants: { tool: [{ host: '127.0.0.1', ports: [site.port], allowAddresses: ['loopback'] }] },
    });

  it('navigates through the egress proxy and reads the page', async () => {
    const session = await open('t1');
    try {
      const answer = await pool.withPage({ proxy: proxyOf(session), timeoutMs: 30_000 }, async (page) => {
        const nav = await page.goto(`${site.origin}/`);
        return { nav, title: await page.title(), text: await page.text('.intro') };
      });
      expect(answer.nav.status).toBe(200);
      expect(answer.nav.refusedByProxy).toBe(false);
      expect(answer.title).toBe('Astra test page');
      expect(answer.text).toBe('Plain text to extract.');
      expect(sink.entries.some((r) => r.taskId === 't1' && r.outcome === 'allowed')).toBe(true);
    } finally {
      await session.close();
    }
  });

  it('sends names to the proxy to resolve (the browser resolves none itself)', async () => {
    const session = await egress.open({
      identity: { orgId: 'o', agentId: 'a', taskId: 't-name', tool: 'browser_navigate@1.0.0' },
      grants: { tool: [{ host: 'localhost', ports: [site.port], allowAddresses: ['loopback'] }] },
    });
    try {
      const title = await pool.withPage({ proxy: proxyOf(session), timeoutMs: 30_000 }, async (page) => {
        await page.goto(`http://localhost:${site.port}/`);
        return page.title();
      });
      expect(title).toBe('Astra test page');
    } finally {
      await session.close();
    }
  });

  it('a host outside the grant is answered by the proxy, plain HTTP or a CONNECT tunnel', async () => {
    const session = await open('t-refused');
    try {
      const plain = await pool.withPage({ proxy: proxyOf(session), timeoutMs: 30_000 }, (page) =>
        page.goto('http://refused.example/'),
      );
      expect(plain).toMatchObject({ status: 403, refusedByProxy: true, proxyCode: 'ASTRA_EGRESS_DENIED' });
      const tunnel = await pool
        .withPage({ proxy: proxyOf(session), timeoutMs: 30_000 }, (page) =>
          page.goto('https://refused.example/'),
        )
        .catch((error: unknown) => error);
      expect(tunnel).toMatchObject({
        kind: 'navigation',
        details: { net_error: 'ERR_TUNNEL_CONNECTION_FAILED' },
      });
      // Both navigations, and whatever the error page asked for (a favicon), all for that host.
      expect(session.refusals()).toBeGreaterThanOrEqual(2);
      expect(session.lastRefusal()).toMatchObject({ code: 'ASTRA_EGRESS_DENIED', host: 'refused.example' });
    } finally {
      await session.close();
    }
  });

  it('an action past the action timeout fails `timeout`; the browser stays for the next call', async () => {
    const quick = createBrowserPool({ clock: systemClock, size: 1, actionTimeoutMs: 300 });
    const session = await open('t-action');
    try {
      const failure = await quick
        .withPage({ proxy: proxyOf(session), timeoutMs: 30_000 }, async (page) => {
          await page.goto(`${site.origin}/`);
          await page.waitFor('#missing');
        })
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({ kind: 'timeout', details: { action: 'wait for #missing' } });
      const title = await quick.withPage({ proxy: proxyOf(session), timeoutMs: 30_000 }, async (page) => {
        await page.goto(`${site.origin}/`);
        return page.title();
      });
      expect(title).toBe('Astra test page');
      expect(quick.stats()).toMatchObject({ launches: 1, browsers: 1, busy: 0 });
    } finally {
      await session.close();
      await quick.close();
    }
  });

  it('a call waits for the busy browser of a full pool, then reuses it', async () => {
    const session = await open('t-wait');
    try {
      const hang = site.nextHang();
      const first = pool
        .withPage({ proxy: proxyOf(session), timeoutMs: 30_000 }, (page) => page.goto(`${site.origin}/hang`))
        .catch((error: unknown) => error);
      await hang;
      const second = pool.withPage({ proxy: proxyOf(session), timeoutMs: 30_000 }, async (page) => {
        await page.goto(`${site.origin}/button`);
        return page.title();
      });
      expect(pool.stats()).toMatchObject({ size: 1, busy: 2, waiting: 1, browsers: 1 });
      // A waiting call that is cancelled leaves the queue.
      const third = new AbortController();
      const cancelled = pool
        .withPage({ proxy: proxyOf(session), timeoutMs: 30_000, signal: third.signal }, async () => 'never')
        .catch((error: unknown) => error);
      third.abort();
      expect(await cancelled).toMatchObject({ kind: 'cancelled' });
      // The site gives up on the hanging page: the proxy answers the first call itself (502), and
      // the second call gets the browser.
      site.releaseHanging();
      expect(await first).toMatchObject({
        status: 502,
        refusedByProxy: true,
        proxyCode: 'ASTRA_EGRESS_UPSTREAM_FAILED',
      });
      expect(await second).toBe('Button');
      expect(pool.stats()).toMatchObject({ launches: 1, busy: 0, waiting: 0 });
    } finally {
      await session.close();
    }
  });

  it('replaces a browser that dies: the call on it fails `crashed`, the next call starts a new one', async () => {
    const launched: Browser[] = [];
    const crashing = createBrowserPool({
      clock: systemClock,
      size: 1,
      launch: async (options) => {
        const browser = await chromium.launch(options);
        launched.push(browser);
        return browser;
      },
    });
    const session = await open('t-crash');
    try {
      const hang = site.nextHang();
      const call = crashing
        .withPage({ proxy: proxyOf(session), timeoutMs: 30_000 }, (page) => page.goto(`${site.origin}/hang`))
        .catch((error: unknown) => error);
      await hang;
      const [browser] = launched;
      if (browser === undefined) throw new Error('no browser was launched');
      const cdp = await browser.newBrowserCDPSession();
      const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as {
        processInfo: { type: string; id: number }[];
      };
      const main = processInfo.find((info) => info.type === 'browser');
      if (main === undefined) throw new Error('no browser process in SystemInfo.getProcessInfo');
      process.kill(main.id, 'SIGKILL');
      expect(await call).toMatchObject({ kind: 'crashed' });
      const title = await crashing.withPage({ proxy: proxyOf(session), timeoutMs: 30_000 }, async (page) => {
        await page.goto(`${site.origin}/`);
        return page.title();
      });
      expect(title).toBe('Astra test page');
      expect(crashing.stats()).toMatchObject({ launches: 2, browsers: 1 });
    } finally {
      await session.close();
      await crashing.close();
    }
  });

  it('replaces a browser after its most sessions, and keeps one that started for a call that gave up', async () => {
    const recycling = createBrowserPool({ clock: systemClock, size: 1, maxSessionsPerBrowser: 2 });
    const session = await open('t-recycle');
    const title = () =>
      recycling.withPage({ proxy: proxyOf(session), timeoutMs: 30_000 }, async (page) => {
        await page.goto(`${site.origin}/`);
        return page.title();
      });
    try {
      // Cancelled while its browser starts: the browser still joins the pool.
      const abort = new AbortController();
      const gaveUp = recycling
        .withPage({ proxy: proxyOf(session), timeoutMs: 30_000, signal: abort.signal }, async () => 'never')
        .catch((error: unknown) => error);
      abort.abort();
      expect(await gaveUp).toMatchObject({ kind: 'cancelled' });
      expect(await title()).toBe('Astra test page');
      expect(await title()).toBe('Astra test page');
      expect(recycling.stats()).toMatchObject({ launches: 1 });
      // Its two sessions served, the browser was closed: the third call starts another.
      expect(await title()).toBe('Astra test page');
      expect(recycling.stats()).toMatchObject({ launches: 2, browsers: 1 });
    } finally {
      await session.close();
      await recycling.close();
    }
  });
});
