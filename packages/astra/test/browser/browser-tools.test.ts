import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_DEFAULTS, createBrowserPool } from '../../src/adapters/browser/index.js';
import { builtInHandlers } from '../../src/kernel/index.js';
import type { TaskRecord } from '../../src/kernel/tasks/types.js';
import type { BrowserPool } from '../../src/ports/browser.js';
import { readAgent, readProfile } from '../../src/services/agents/agent-store.js';
import {
  browserRunners,
  readTool,
  type ToolRunner,
  Workspaces,
  withToolTasks,
} from '../../src/services/tools/index.js';
import { registerTool } from '../../src/services/tools/tool-store.js';
import { systemClock } from '../../src/time/clock.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { openTestToolRuntime, type TestToolRuntime } from '../support/tool-runtime.js';
import { errorOf, runPlan, toolTask as tool } from '../support/tool-task-kit.js';
import { startTestSite, type TestSite } from './site.js';

/**
 * The browser tools as plans run them (docs/browser.md): `tool` tasks over a real kernel and
 * executor, the manifests migration 0017 seeds (re-registered as 1.0.1 with the test site in their
 * egress allow-list), a real egress proxy on loopback TCP and a pool of one real Chromium. The site
 * is a local HTTP server; every request reaches it through the proxy.
 */
const present = existsSync(BROWSER_DEFAULTS.executablePath);
if (!present)
  console.warn(
    `browser tool tests skipped: no Chromium at ${BROWSER_DEFAULTS.executablePath} (apt-get install chromium)`,
  );

/** The runners, and browser_navigate's also under the name of the test's short-deadline tool. */
function withQuick(runners: Map<string, ToolRunner>): Map<string, ToolRunner> {
  const navigate = runners.get('browser_navigate');
  if (navigate !== undefined) runners.set('browser_navigate_quick', navigate);
  return runners;
}

const BROWSER_TOOLS = ['browser_navigate', 'browser_extract_text', 'browser_screenshot', 'browser_evaluate'];

describe.skipIf(!present)('browser tools', () => {
  let h: KernelHarness;
  let agentId: string;
  let root: string;
  let site: TestSite;
  let tools: TestToolRuntime;
  let pool: BrowserPool;

  beforeAll(async () => {
    site = await startTestSite();
    tools = await openTestToolRuntime({ egressTcp: true });
    root = await mkdtemp(path.join(tmpdir(), 'astra-workspaces-'));
    pool = createBrowserPool({ clock: systemClock, size: 1 });
    const handlers = builtInHandlers();
    h = await openKernel('embedded', { handlers });
    for (const name of [...BROWSER_TOOLS, 'browser:screenshot']) {
      const seeded = await readTool(h.store, name, '1.0.0');
      if (seeded === null) throw new Error(`migration 0017 did not seed ${name}`);
      await registerTool(
        h.store,
        { ...seeded, version: '1.0.1', egress: [{ host: '127.0.0.1', port: site.port }] },
        'test',
      );
    }
    const seeded = await readTool(h.store, 'browser_navigate', '1.0.0');
    if (seeded === null) throw new Error('no browser_navigate');
    await registerTool(
      h.store,
      {
        ...seeded,
        name: 'browser_navigate_quick',
        egress: [{ host: '127.0.0.1', port: site.port }],
        limits: { ...seeded.limits, wallMs: 1500 },
      },
      'test',
    );
    withToolTasks(handlers, {
      store: h.store,
      workspaces: new Workspaces(root),
      allowedTools: async (id) => (await readProfile(h.store, id))?.allowedTools ?? null,
      runners: withQuick(browserRunners({ pool, callerOf: async (id) => readAgent(h.store, id) })),
      runtime: tools.runtime,
    });
    agentId = await h.createAgent();
    await h.startExecutor();
  });
  afterAll(async () => {
    await h?.dispose();
    await pool?.close();
    await tools?.dispose();
    await site?.close();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  const run = async (tasks: unknown[]): Promise<Map<string, TaskRecord>> =>
    (await runPlan(h, agentId, tasks, 'browse')).tasks;

  it('navigates, extracts text, and drives a form and a button with steps', async () => {
    const tasks = await run([
      tool('nav', 'browser_navigate', { url: `${site.origin}/` }),
      tool('all', 'browser_extract_text', { url: `${site.origin}/` }, { dependsOn: ['nav'] }),
      tool(
        'intro',
        'browser_extract_text',
        { url: `${site.origin}/`, selector: '.intro' },
        { dependsOn: ['all'] },
      ),
      tool(
        'form',
        'browser_extract_text',
        {
          url: `${site.origin}/form`,
          selector: '#out',
          steps: [
            { action: 'fill', selector: '#name', value: 'Astra' },
            { action: 'click', selector: '#send' },
          ],
        },
        { dependsOn: ['intro'] },
      ),
      tool(
        'button',
        'browser_navigate',
        {
          url: `${site.origin}/button`,
          steps: [
            { action: 'click', selector: 'text=Go' },
            { action: 'wait_for', selector: 'h2:text("after")' },
          ],
        },
        { dependsOn: ['form'] },
      ),
      tool(
        'press',
        'browser_extract_text',
        {
          url: `${site.origin}/form`,
          selector: '#out',
          steps: [
            { action: 'fill', selector: '#name', value: 'Enter' },
            { action: 'press', selector: '#name', key: 'Enter' },
          ],
        },
        { dependsOn: ['button'] },
      ),
    ]);
    expect(tasks.get('nav')?.result).toEqual({
      url: `${site.origin}/`,
      status: 200,
      title: 'Astra test page',
      refused_requests: 0,
    });
    expect(tasks.get('all')?.result).toMatchObject({ truncated: false });
    expect((tasks.get('all')?.result as { text: string } | null)?.text).toContain('Hello from the test site');
    expect(tasks.get('intro')?.result).toEqual({
      url: `${site.origin}/`,
      text: 'Plain text to extract.',
      truncated: false,
    });
    expect(tasks.get('form')?.result).toMatchObject({ text: 'Hi Astra' });
    expect(tasks.get('button')?.result).toMatchObject({ status: 200, title: 'Button' });
    expect(tasks.get('press')?.result).toMatchObject({ text: 'Hi Enter' });
  });

  it('evaluates an expression in the page and answers its JSON value', async () => {
    const tasks = await run([
      tool('sum', 'browser_evaluate', {
        url: `${site.origin}/`,
        expression: 'document.title + " " + (1 + 2)',
      }),
      tool('async', 'browser_evaluate', {
        url: `${site.origin}/`,
        expression: 'Promise.resolve({ heading: document.querySelector("#heading").textContent, n: [1, 2] })',
      }),
      tool('throws', 'browser_evaluate', { url: `${site.origin}/`, expression: 'nope.nothing' }),
    ]);
    expect(tasks.get('sum')?.result).toEqual({ url: `${site.origin}/`, value: 'Astra test page 3' });
    expect(tasks.get('async')?.result).toMatchObject({
      value: { heading: 'Hello from the test site', n: [1, 2] },
    });
    expect(errorOf(tasks.get('throws'))).toMatchObject({
      code: 'ASTRA_TOOL_FAILED',
      details: { browser_code: 'evaluate' },
    });
  });

  it('stores a screenshot as a PNG artifact, of the viewport or the whole page', async () => {
    const tasks = await run([
      tool('view', 'browser_screenshot', { url: `${site.origin}/tall` }),
      tool('full', 'browser_screenshot', { url: `${site.origin}/tall`, full_page: true }),
      tool('upstream', 'browser:screenshot', { url: `${site.origin}/` }),
    ]);
    const view = tasks.get('view')?.result as {
      artifact: { $artifact: string };
      width: number;
      height: number;
    };
    expect(view).toMatchObject({ width: 1280, height: 720, artifact: { media_type: 'image/png' } });
    expect(tasks.get('full')?.result).toMatchObject({ width: 1280, height: 2000 });
    expect(tasks.get('upstream')?.result).toMatchObject({ artifact: { media_type: 'image/png' } });
    const stored = await tools.runtime.artifacts.get(view.artifact.$artifact);
    const chunks: Buffer[] = [];
    for await (const chunk of stored.body) chunks.push(chunk as Buffer);
    const png = Buffer.concat(chunks);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(stored.meta).toMatchObject({ mediaType: 'image/png', sizeBytes: png.length });
  });

  it('refuses a host outside the allow-list with the egress code, over plain HTTP and HTTPS', async () => {
    const tasks = await run([
      tool('port', 'browser_navigate', { url: `http://127.0.0.1:${site.port + 1}/` }),
      tool('name', 'browser_navigate', { url: 'http://elsewhere.example/' }),
      tool('tls', 'browser_screenshot', { url: 'https://elsewhere.example/' }),
      tool('seeded', 'browser_navigate@1.0.0', { url: `${site.origin}/` }),
    ]);
    const refusal = (egressCode: string, details: Record<string, unknown> = {}) => ({
      code: 'ASTRA_TOOL_EGRESS_REFUSED',
      details: { egress_code: egressCode, ...details },
    });
    expect(errorOf(tasks.get('port'))).toMatchObject(
      refusal('ASTRA_EGRESS_DENIED', { host: '127.0.0.1', port: site.port + 1 }),
    );
    expect(errorOf(tasks.get('name'))).toMatchObject(
      refusal('ASTRA_EGRESS_DENIED', { host: 'elsewhere.example' }),
    );
    expect(errorOf(tasks.get('tls'))).toMatchObject(
      refusal('ASTRA_EGRESS_DENIED', { host: 'elsewhere.example', port: 443 }),
    );
    // The seeded version grants no host at all.
    expect(errorOf(tasks.get('seeded'))).toMatchObject(refusal('ASTRA_EGRESS_DENIED'));
    const refused = tools.egressLog.entries.filter((entry) => entry.outcome === 'denied');
    expect(refused.map((entry) => entry.host)).toEqual(
      expect.arrayContaining(['127.0.0.1', 'elsewhere.example']),
    );
  });

  it("opens a host the task's own egress grants to the seeded version, which grants none", async () => {
    const tasks = await run([
      {
        ...tool('granted', 'browser_navigate@1.0.0', { url: `${site.origin}/button` }),
        payload: {
          tool: 'browser_navigate@1.0.0',
          input: { url: `${site.origin}/button` },
          egress: [{ host: '127.0.0.1', ports: [site.port] }],
        },
      },
    ]);
    expect(tasks.get('granted')?.result).toMatchObject({ status: 200, title: 'Button' });
  });

  it('retries a call this node has no runner for (another node may have the browser role)', async () => {
    const seeded = await readTool(h.store, 'browser_navigate', '1.0.0');
    if (seeded === null) throw new Error('no browser_navigate');
    await registerTool(h.store, { ...seeded, name: 'browser_elsewhere' }, 'test');
    const tasks = await run([
      { ...tool('away', 'browser_elsewhere', { url: `${site.origin}/` }), max_retries: 2 },
      // A refusal is final whatever the retries allow.
      { ...tool('refused', 'browser_navigate', { url: 'http://elsewhere.example/' }), max_retries: 2 },
    ]);
    expect(errorOf(tasks.get('away'))).toMatchObject({
      code: 'ASTRA_TOOL_UNAVAILABLE',
      details: { sandbox: 'browser' },
    });
    // Every attempt the task allows was made; the refusal was not tried again.
    expect(tasks.get('away')?.attempt).toBe(3);
    expect(tasks.get('refused')?.attempt).toBe(1);
  });

  it('refuses input its schema does not allow: another scheme, an unknown step, an extra field', async () => {
    const tasks = await run([
      tool('file', 'browser_navigate', { url: 'file:///etc/passwd' }),
      tool('step', 'browser_navigate', {
        url: `${site.origin}/`,
        steps: [{ action: 'download', selector: 'a' }],
      }),
      tool('extra', 'browser_screenshot', { url: `${site.origin}/`, quality: 10 }),
    ]);
    expect(errorOf(tasks.get('file'))).toMatchObject({
      code: 'ASTRA_TOOL_INPUT_INVALID',
      details: { issues: [expect.objectContaining({ path: '/url' })] },
    });
    expect(errorOf(tasks.get('step'))).toMatchObject({ code: 'ASTRA_TOOL_INPUT_INVALID' });
    expect(errorOf(tasks.get('extra'))).toMatchObject({
      code: 'ASTRA_TOOL_INPUT_INVALID',
      details: { issues: [expect.objectContaining({ path: '/quality' })] },
    });
  });

  it("ends a call past the manifest's wall time", async () => {
    const tasks = await run([tool('hang', 'browser_navigate_quick', { url: `${site.origin}/hang` })]);
    expect(errorOf(tasks.get('hang'))).toMatchObject({
      code: 'ASTRA_TOOL_FAILED',
      details: { browser_code: 'deadline', timeout_ms: 1500 },
    });
  });

  it('gives every task a fresh context on a reused browser: a cookie set in one is not sent by the next', async () => {
    const before = pool.stats().launches;
    const tasks = await run([
      tool('set', 'browser_extract_text', { url: `${site.origin}/set-cookie` }),
      tool(
        'same',
        'browser_extract_text',
        { url: `${site.origin}/cookies`, steps: [] },
        { dependsOn: ['set'] },
      ),
      tool(
        'within',
        'browser_extract_text',
        {
          url: `${site.origin}/set-cookie`,
          steps: [{ action: 'click', selector: 'p' }],
        },
        { dependsOn: ['same'] },
      ),
    ]);
    expect(tasks.get('set')?.result).toMatchObject({ text: 'set' });
    expect(tasks.get('same')?.result).toMatchObject({ text: '[]' });
    expect(tasks.get('within')?.status).toBe('completed');
    // The one browser of the pool served every task of every test.
    expect(pool.stats()).toMatchObject({ size: 1, browsers: 1, launches: Math.max(before, 1), busy: 0 });
  });
});
