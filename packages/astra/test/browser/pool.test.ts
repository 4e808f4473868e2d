import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
      expect(plain).toMatchObject({ status: 403, refusedByProxy: true });
      const tunnel = await pool
        .withPage({ proxy: proxyOf(session), timeoutMs: 30_000 }, (page) => page.goto('https://refused.example/'))
        .catch((error: unknown) => error);
      expect(tunnel).toMatchObject({ kind: 'navigation', details: { net_error: 'ERR_TUNNEL_CONNECTION_FAILED' } });
      expect(session.refusals()).toBe(2);
    } finally {
      await session.close();
    }
  });
});
