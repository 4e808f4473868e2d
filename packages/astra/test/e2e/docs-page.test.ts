import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AstraProcess, runAstra, urlFrom } from './astra-process.js';

/**
 * `GET /docs` is a readable API reference that works offline: a real `astra up` serves it, and a
 * real headless Chromium (Debian's, which .ci/run installs) renders it from `/openapi.json` alone.
 * Any request to another origin is recorded and fails the test; the page's Content-Security-Policy
 * lets the browser load nothing else anyway.
 */
const CHROMIUM = '/usr/bin/chromium';
const required = process.env.ASTRA_TEST_REQUIRE_SERVICES === '1';
const haveChromium = existsSync(CHROMIUM);
const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-docs-'));
let astra: AstraProcess;
let url: string;
let browser: Browser | undefined;

beforeAll(async () => {
  astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
  url = urlFrom(await astra.waitForLine(/ready \(embedded\) at/));
  if (haveChromium) browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  astra.child.kill('SIGTERM');
  await astra.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

describe('GET /docs', () => {
  it('is one page that may load nothing but the document', async () => {
    const answer = await fetch(`${url}/docs`);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await answer.text();
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
  });

  it.skipIf(!haveChromium && !required)(
    'renders operations, parameters and schema fields in Chromium, offline',
    async () => {
      expect(haveChromium, `${CHROMIUM} (apt-get install chromium)`).toBe(true);
      const page = await (browser as Browser).newPage();
      const elsewhere: string[] = [];
      const errors: string[] = [];
      await page.route('**/*', (route) => {
        if (new URL(route.request().url()).origin === new URL(url).origin) return route.continue();
        elsewhere.push(route.request().url());
        return route.abort();
      });
      page.on('pageerror', (error) => errors.push(error.message));
      page.setDefaultTimeout(10_000);
      await page.goto(`${url}/docs`);
      await page.waitForSelector('body[data-rendered="true"]');
      const submit = page.locator('#op-submitGoal');
      expect(await submit.locator('.method').textContent()).toBe('POST');
      expect(await submit.textContent()).toContain('/agents/{id}/goals');
      expect(await submit.textContent()).toContain('Idempotency-Key');
      // The request body's plan links to the Plan schema, whose tasks are PlanTasks with their fields.
      expect(await submit.locator('a[href="#schema-Plan"]').count()).toBeGreaterThan(0);
      const planTask = page.locator('#schema-PlanTask');
      for (const field of ['id', 'type', 'payload', 'depends_on', 'timeout_ms', 'on_dependency_failure'])
        expect(await planTask.locator('code', { hasText: new RegExp(`^${field}$`) }).count(), field).toBe(1);
      expect(await planTask.textContent()).toContain('"fail" | "skip"');
      expect(await page.locator('#schema-TaskReference').textContent()).toContain('$from');
      // An answer's fields: GET /tasks/{id} answers a Task, whose status links to the task states.
      expect(await page.locator('#op-getTask a[href="#schema-Task"]').count()).toBeGreaterThan(0);
      expect(await page.locator('#schema-Task a[href="#schema-TaskStatus"]').count()).toBeGreaterThan(0);
      expect(await page.locator('#schema-TaskStatus').textContent()).toContain('"waiting_approval"');
      expect(errors).toEqual([]);
      expect(elsewhere).toEqual([]);
      await page.close();
    },
  );
});
