import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AstraClient } from '@astra/sdk';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES } from '../../src/services/access/policies.js';
import { type LlmServer, startOpenAiServer } from '../support/llm-servers/index.js';
import { deferred } from '../support/waiting.js';
import { type AstraProcess, adminTokenOf, runAstra, urlFrom } from './astra-process.js';

/**
 * The web dashboard (docs/dashboard.md) in Debian's headless Chromium against a real `astra up`
 * (embedded): the gateway serves it with its types, caching and CSP; a super-admin signs in,
 * creates an agent and sets its platform settings, submits a declared plan and watches its graph's
 * nodes change colour from the event stream without a reload, and approves a plan; a member of the
 * organization sees no admin action. Every page passes axe with no serious or critical violation,
 * in both themes. Screenshots go to test-results/dashboard/ (gitignored), kept by CI as artifacts.
 */
const CHROMIUM = '/usr/bin/chromium';
const DEFAULT_ORG = '00000000-0000-4000-8000-000000000001';
const required = process.env.ASTRA_TEST_REQUIRE_SERVICES === '1';
const haveChromium = existsSync(CHROMIUM);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SHOTS = path.join(ROOT, 'test-results/dashboard');
const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-dashboard-'));
const VIEWER = { email: 'viewer@example.com', password: 'viewer-password-1' };

let astra: AstraProcess;
let url: string;
/** The node's only LLM provider: the OpenAI protocol server on loopback, answering from a script. */
let llm: LlmServer;
let admin: AstraClient;
let adminPassword: string;
let browser: Browser | undefined;
let adminContext: BrowserContext;
let page: Page;
/** Messages the browser logged as errors: CSP refusals, script errors. */
const problems: string[] = [];

function watch(target: Page): void {
  target.setDefaultTimeout(15_000);
  target.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  target.on('console', (message) => {
    // A refused API call (401 at a wrong password, 403 for a viewer) is logged by the browser itself.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text()))
      problems.push(`console: ${message.text()}`);
  });
}

/** No serious or critical axe violation on what the page shows now. */
async function expectAccessible(target: Page, name: string): Promise<void> {
  const results = await new AxeBuilder({ page: target }).analyze();
  const bad = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
  expect(bad, name).toEqual([]);
}

const shot = (target: Page, name: string): Promise<Buffer> =>
  target.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

async function signIn(target: Page, email: string, password: string): Promise<void> {
  await target.goto(`${url}/superadmin/dashboard/`);
  await target.getByLabel('Email').fill(email);
  await target.getByLabel('Password').fill(password);
  await target.getByRole('button', { name: 'Sign in' }).click();
  await target.getByRole('heading', { name: 'Overview' }).waitFor();
}

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(ROOT, 'tools/build-dashboard.mjs')]);
  mkdirSync(SHOTS, { recursive: true });
  llm = await startOpenAiServer({ apiKey: 'sk-dashboard', models: ['gpt-4o-mini'] });
  astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'info'], {
    OPENAI_API_KEY: 'sk-dashboard',
    OPENAI_BASE_URL: `${llm.url}/v1`,
    ASTRA_LLM_DETECT_OLLAMA: 'false',
    // No model call but the chat's: no episode summaries, embeddings from the built-in embedder.
    ASTRA_MEMORY_EPISODES: 'false',
    ASTRA_MEMORY_EMBEDDER: 'offline',
  });
  url = urlFrom(await astra.waitForLine(/ready \(embedded\) at/));
  admin = new AstraClient({ baseUrl: url, token: adminTokenOf(dataDir) });
  adminPassword = readFileSync(path.join(dataDir, 'admin-password'), 'utf8').trim();
  const viewer = await admin.createUser({ ...VIEWER, display_name: 'Viewer' });
  await admin.putOrgMember(DEFAULT_ORG, { user_id: viewer.id, role: 'org_member' });
  if (haveChromium) {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    adminContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await adminContext.newPage();
    watch(page);
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  astra?.child.kill('SIGTERM');
  await astra?.exited;
  await llm?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('serving /superadmin/dashboard/', () => {
  it('serves the page with a CSP and an ETag, and the hashed assets cached for good', async () => {
    const answer = await fetch(`${url}/superadmin/dashboard/`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(answer.headers.get('cache-control')).toBe('no-cache');
    const policy = answer.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    const etag = answer.headers.get('etag') ?? '';
    expect(etag).toMatch(/^".+"$/);
    const html = await answer.text();
    expect(html).not.toMatch(/<script>|style=/);
    const again = await fetch(`${url}/superadmin/dashboard/`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const assets = [...html.matchAll(/\/superadmin\/dashboard\/assets\/(app-[A-Z0-9]+\.(js|css))/g)];
    expect(assets.map((match) => match[2]).sort()).toEqual(['css', 'js']);
    for (const [assetPath, , ext] of assets) {
      const asset = await fetch(`${url}${assetPath}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toBe(
        ext === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      );
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    const missing = await fetch(`${url}/superadmin/dashboard/assets/app-NOPE.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('ASTRA_NOT_FOUND');
    const bare = await fetch(`${url}/superadmin/dashboard`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([308, '/superadmin/dashboard/']);
  });
});

describe.skipIf(!haveChromium && !required)('the dashboard in Chromium', () => {
  it('checks the login form, shows the loading state and the refusal, then signs in', async () => {
    expect(haveChromium, `${CHROMIUM} (apt-get install chromium)`).toBe(true);
    await page.goto(`${url}/superadmin/dashboard/`);
    await expectAccessible(page, 'login');
    const signInButton = page.getByRole('button', { name: 'Sign in' });
    await signInButton.click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Enter your email address.');
    await page.getByLabel('Email').fill('admin@localhost');
    await signInButton.click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Enter your password.');
    // The login answer is held back until the loading state has been seen.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/login', async (route) => {
      await held;
      await route.continue();
    });
    await page.getByLabel('Password').fill('not the password');
    await signInButton.click();
    const busy = page.getByRole('button', { name: 'Signing in…' });
    await busy.waitFor();
    expect(await busy.isDisabled()).toBe(true);
    release();
    await page.getByText('Wrong email or password.').waitFor();
    await page.unroute('**/login');
    await shot(page, 'login-refused');
    await page.getByLabel('Password').fill(adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByText(/^Last updated /).waitFor();
    expect(await page.getByRole('link', { name: 'API docs' }).getAttribute('href')).toBe('/docs');
    await page.getByText('Active workers').waitFor();
    await shot(page, 'overview');
    await expectAccessible(page, 'overview');
  });

  it('keeps the dark theme across a reload and passes axe in it', async () => {
    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.reload();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    expect(await page.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByText('Active workers').waitFor();
    await shot(page, 'overview-dark');
    await expectAccessible(page, 'overview, dark');
    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
  });

  let agentId: string;

  it('creates an agent and sets its platform settings', async () => {
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('button', { name: 'New agent' }).click();
    const dialog = page.getByRole('dialog', { name: 'New agent' });
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByText('The name is required.').waitFor();
    await dialog.getByLabel('Name').fill('dashboard-agent');
    await dialog.getByLabel('Tags (comma separated)').fill('e2e, ui');
    await expectAccessible(page, 'new agent dialog');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const row = page.getByRole('row', { name: /dashboard-agent/ });
    await row.waitFor();
    const agents = await admin.listAgents({ name: 'dashboard-agent' });
    agentId = agents.agents[0]?.id as string;
    expect(agents.agents[0]?.tags).toEqual(['e2e', 'ui']);
    await row.getByRole('button', { name: /Settings/ }).click();
    const settings = page.getByRole('dialog', { name: 'Settings of dashboard-agent' });
    await settings.getByLabel('Allowed tools (comma separated; empty: any)').fill('js_eval');
    await settings.getByLabel('Max concurrent goals (empty: no limit)').fill('5');
    await settings.getByLabel('Daily token budget (empty: no limit)').fill('x');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByText('daily token budget must be a whole number.').waitFor();
    await settings.getByLabel('Daily token budget (empty: no limit)').fill('100000');
    await shot(page, 'agent-settings');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.waitFor({ state: 'detached' });
    expect(await admin.getAgentProfile(agentId)).toMatchObject({
      allowed_tools: ['js_eval'],
      max_concurrent_goals: 5,
      daily_token_budget: 100000,
      drain_mode: false,
    });
    await shot(page, 'agents');
    await expectAccessible(page, 'agents');
  });

  it("keeps an agent's documents and revisions from its edit dialog", async () => {
    const row = page.getByRole('row', { name: /dashboard-agent/ });
    await row.getByRole('button', { name: /Edit/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit dashboard-agent' });
    await dialog.getByRole('button', { name: 'Add document' }).click();
    await dialog.getByText('A document needs a name and its text.').waitFor();
    await dialog.getByLabel('Document type').selectOption('skill');
    await dialog.getByLabel('Document name').fill('arithmetic');
    await dialog.getByLabel('Document text').fill('Multiply with js_eval.');
    await dialog.getByRole('button', { name: 'Add document' }).click();
    await dialog.getByRole('cell', { name: 'arithmetic', exact: true }).waitFor();
    expect((await admin.listDocuments(agentId)).documents).toMatchObject([
      { name: 'arithmetic', doc_type: 'skill', content: 'Multiply with js_eval.' },
    ]);
    await dialog.getByLabel('System prompt').fill('You are careful.');
    await dialog.getByRole('button', { name: 'Record the prompt as a revision' }).click();
    const activate = dialog.getByRole('button', { name: /^Activate/ }).first();
    await activate.waitFor();
    await shot(page, 'agent-documents');
    await expectAccessible(page, 'agent edit dialog with documents and revisions');
    const recorded = (await admin.listRevisions(agentId)).revisions.find(
      (revision) => revision.payload.system_prompt === 'You are careful.',
    );
    expect(recorded?.active).toBe(false);
    await dialog.getByRole('button', { name: `Activate revision ${recorded?.revision}` }).click();
    await dialog
      .getByRole('button', { name: `Activate revision ${recorded?.revision}` })
      .waitFor({ state: 'detached' });
    expect((await admin.getAgent(agentId)).system_prompt).toBe('You are careful.');
    await dialog.getByRole('button', { name: /^Delete/ }).click();
    await dialog.getByText('No documents.').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it("submits a declared plan and shows its graph's colours change live, without a reload", async () => {
    // The middle task waits for an approval (its type is risky for this agent): the graph holds
    // still there until the test approves it through the API.
    await admin.updateAgent(agentId, { config: { risky_task_types: ['echo'] } });
    const plan = {
      tasks: [
        { id: 'compute', type: 'tool', payload: { tool: 'js_eval', input: { code: '6 * 7' } } },
        { id: 'gate', type: 'echo', payload: { passed: true }, depends_on: ['compute'] },
        {
          id: 'double',
          type: 'tool',
          payload: { tool: 'js_eval', input: { code: '2 * 42' } },
          depends_on: ['gate'],
          evaluate: {
            validators: [{ kind: 'json_schema', pointer: '/value', schema: { const: 84 } }],
            on_fail: 'record',
          },
        },
        { id: 'side', type: 'noop', depends_on: ['compute'] },
      ],
    };
    const detailsReads: string[] = [];
    page.on('request', (request) => {
      if (/\/goals\/[^/]+\/details$/.test(new URL(request.url()).pathname)) detailsReads.push(request.url());
    });
    await page.getByRole('link', { name: 'Goals' }).click();
    await page.getByRole('button', { name: 'New goal' }).click();
    const dialog = page.getByRole('dialog', { name: 'New goal' });
    await dialog.locator('select').selectOption({ label: 'dashboard-agent' });
    await dialog.getByLabel('Goal').fill('compute, wait at the gate, double');
    await dialog.getByLabel(/^Plan/).fill('{not json');
    await dialog.getByRole('button', { name: 'Submit' }).click();
    await dialog.getByText('The plan is not valid JSON.').waitFor();
    await dialog.getByLabel(/^Plan/).fill(JSON.stringify(plan));
    await expectAccessible(page, 'new goal dialog');
    await dialog.getByRole('button', { name: 'Submit' }).click();
    await page.getByRole('heading', { name: /^Goal / }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await page.evaluate(() => {
      (window as unknown as { stillThisPage: boolean }).stillThisPage = true;
    });
    const node = (name: string) => page.locator(`.dag [data-task="${name}"]`);
    await page.locator('.dag [data-task="gate"][data-status="waiting_approval"]').waitFor();
    await page.locator('.dag [data-task="compute"][data-status="completed"]').waitFor();
    expect(await node('double').getAttribute('data-status')).not.toBe('completed');
    const fillOf = (name: string) =>
      node(name)
        .locator('rect')
        .evaluate((rect) => getComputedStyle(rect).fill);
    const waitingFill = await fillOf('gate');
    await shot(page, 'goal-waiting');
    await expectAccessible(page, 'goal page');
    const goalId = decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
    const pending = await admin.listPendingApprovals({ agent_id: agentId, request_type: 'risky_task' });
    const approval = pending.approvals.find((candidate) => candidate.goal_id === goalId);
    expect(approval).toBeDefined();
    await admin.approve(approval?.id as string, { reason: 'from the test' });
    for (const name of ['gate', 'double', 'side'])
      await page.locator(`.dag [data-task="${name}"][data-status="completed"]`).waitFor();
    expect(await fillOf('gate')).not.toBe(waitingFill);
    expect(await fillOf('gate')).toBe(await fillOf('compute'));
    await page.getByText('completed', { exact: true }).first().waitFor();
    // The page is the one loaded before: no reload, and the snapshot was read once.
    expect(await page.evaluate(() => (window as unknown as { stillThisPage?: boolean }).stillThisPage)).toBe(
      true,
    );
    expect(detailsReads).toHaveLength(1);
    await node('double').click();
    const detail = page.getByRole('region', { name: /Task double/ });
    await detail.getByText('TaskCompleted').first().waitFor();
    // The detail reads the task again when selected: its result arrives with that answer.
    await detail.locator('pre[title="Result"]', { hasText: '84' }).waitFor();
    await detail.getByText('Attempt 1: passed').waitFor();
    await detail.getByText('json_schema#0: pass').waitFor();
    await shot(page, 'goal-completed');
    await expectAccessible(page, 'goal page with task detail');
  });

  it('approves a pending plan from the approvals page', async () => {
    const submitted = await admin.submitGoal(agentId, {
      goal_text: 'needs a yes',
      require_approval: true,
      plan: { tasks: [{ id: 'only', type: 'noop' }] },
    });
    expect(submitted.status).toBe('pending_approval');
    await page.getByRole('link', { name: 'Approvals' }).click();
    const row = page
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: submitted.goal_id.slice(0, 8) }) });
    await row.getByRole('button', { name: /Details/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Approval' });
    await dialog.getByText('"only"').first().waitFor();
    await dialog.getByLabel('Reason (optional)').fill('looks fine');
    await shot(page, 'approval');
    await expectAccessible(page, 'approval dialog');
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.waitFor({ state: 'detached' });
    await page.goto(`${url}/superadmin/dashboard/#/goal/${submitted.goal_id}`);
    await page.locator('.dag [data-task="only"][data-status="completed"]').waitFor();
    const goal = await admin.getGoal(submitted.goal_id);
    expect(['active', 'completed']).toContain(goal.status);
  });

  it('shows workers, cost, tools and sandboxes, services and recent logs, each passing axe', async () => {
    for (const [link, heading] of [
      ['Workers', 'Workers'],
      ['Cost', 'Cost'],
      ['Tools', 'Tools'],
      ['Services', 'Services'],
      ['Logs', 'Logs'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.getByRole('table').first().waitFor();
      await shot(page, heading.toLowerCase());
      await expectAccessible(page, heading);
    }
    await page.getByRole('link', { name: 'Workers', exact: true }).click();
    await page.getByRole('cell', { name: 'active' }).first().waitFor();
    await page.getByRole('link', { name: 'Tools', exact: true }).click();
    const sandboxes = page.getByRole('table', { name: 'Sandboxes' });
    await sandboxes
      .getByRole('row', { name: /quickjs/ })
      .getByText(/js_eval/)
      .waitFor();
    await page.getByRole('link', { name: 'Services', exact: true }).click();
    const sql = page.getByRole('table', { name: 'Services' }).getByRole('row', { name: /^sql / });
    await sql.getByText('ok', { exact: true }).waitFor();
    expect(await sql.getByRole('cell', { name: / ms$/ }).count()).toBe(1);
    // The node logs at info here: its start-up lines are on the Logs page, newest first.
    const logs = await admin.listRecentLogs({ level: 'info' });
    expect(logs.lines.length).toBeGreaterThan(0);
    await page.getByRole('link', { name: 'Logs', exact: true }).click();
    const newest = logs.lines.at(-1);
    await page
      .getByRole('table', { name: 'Log lines' })
      .getByRole('row')
      .filter({ hasText: newest?.msg ?? '' })
      .first()
      .waitFor();
    await page.getByLabel('Lowest level').selectOption('error');
    await page
      .getByText('No lines at this level.')
      .or(page.getByRole('cell', { name: 'error' }).first())
      .waitFor();
  });

  it('chats with an agent: streamed text, a tool call approved in place, and a cancelled turn', async () => {
    const chatty = await admin.createAgent({ name: 'chatty', chat_capable: true });
    await admin.updateAgentPlatform(chatty.actor_id, { allowed_tools: ['js_eval'] });
    const { version } = await admin.createPolicyVersion({
      policies: `${DEFAULT_POLICIES}
@id("dashboard-chat-approval")
@require_approval
permit (principal == Astra::Agent::"${chatty.actor_id}", action == Astra::Action::"tool.call", resource is Astra::Tool)
when { resource.name == "js_eval" };
`,
    });
    await admin.activatePolicyVersion(version);
    llm.script(
      { toolCalls: [{ id: 'call_ui', name: 'js_eval', arguments: '{"code": "6 * 7"}' }] },
      { text: ['Six times seven ', 'is 42.'], usage: { inputTokens: 50, outputTokens: 6 } },
    );
    await page.getByRole('link', { name: 'Chat', exact: true }).click();
    await page.getByRole('heading', { name: 'Chat', level: 1 }).waitFor();
    await page.getByLabel('Agent').selectOption({ label: 'chatty' });
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.getByLabel('Message').fill('What is six times seven?');
    await page.getByRole('button', { name: 'Send' }).click();
    const log = page.getByRole('log', { name: 'Conversation' });
    const tool = log.locator('li.chat-tool');
    await tool.getByText('waiting approval').waitFor();
    expect(await tool.locator('code').first().textContent()).toBe('js_eval');
    await shot(page, 'chat-waiting');
    await expectAccessible(page, 'chat, a tool call waiting for approval');
    await tool.getByRole('button', { name: 'Approve' }).click();
    await tool.getByText('{"value":42,"console":""}').waitFor();
    await log.getByText('Six times seven is 42.').waitFor();
    await log.getByText(/^complete · \d+ tokens in, \d+ out · openai\/gpt-4o-mini$/).waitFor();
    await shot(page, 'chat');
    await expectAccessible(page, 'chat');

    // Tokens show as they arrive: the provider holds the stream after its first chunk, the page
    // shows that chunk, and Cancel hangs up: the provider's connection closes.
    const providerGone = deferred();
    const never = deferred();
    llm.script({
      text: ['Once ', 'upon ', 'a time'],
      holdAfterFirstChunk: never.promise,
      onClientGone: providerGone.resolve,
    });
    await page.getByLabel('Message').fill('Tell me a long story.');
    await page.getByRole('button', { name: 'Send' }).click();
    await log.locator('li.chat-assistant').last().getByText('Once', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await providerGone.promise;
    never.resolve();
    await log.getByText('Cancelled: the turn was stopped.').waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await admin.activatePolicyVersion(version - 1);
  });

  it('shows a member of the organization no admin action, and the API refuses them anyway', async () => {
    const context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 900 } });
    const viewer = await context.newPage();
    watch(viewer);
    await signIn(viewer, VIEWER.email, VIEWER.password);
    expect(await viewer.getByRole('link', { name: 'Workers' }).count()).toBe(0);
    expect(await viewer.getByRole('link', { name: 'Logs' }).count()).toBe(0);
    await viewer.getByRole('link', { name: 'Agents' }).click();
    const row = viewer.getByRole('row', { name: /dashboard-agent/ });
    await row.waitFor();
    expect(await row.getByRole('button').count()).toBe(0);
    await shot(viewer, 'viewer-agents');
    await expectAccessible(viewer, 'agents, as a member');
    const pending = await admin.submitGoal(agentId, {
      goal_text: 'a member may not decide',
      require_approval: true,
      plan: { tasks: [{ id: 'x', type: 'noop' }] },
    });
    await viewer.getByRole('link', { name: 'Approvals' }).click();
    const approvalRow = viewer
      .getByRole('row')
      .filter({ has: viewer.getByRole('link', { name: pending.goal_id.slice(0, 8) }) });
    await approvalRow.getByRole('button', { name: /Details/ }).click();
    const dialog = viewer.getByRole('dialog', { name: 'Approval' });
    await dialog.getByText('You may not decide this approval.').waitFor();
    expect(await dialog.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await expectAccessible(viewer, 'approval, as a member');
    await dialog.getByRole('button', { name: 'Close' }).click();
    // A page the navigation hides is refused by the API, not only hidden.
    await viewer.goto(`${url}/superadmin/dashboard/#/workers`);
    await viewer.getByRole('alert').waitFor();
    expect((await viewer.getByRole('alert').textContent())?.length).toBeGreaterThan(0);
    await shot(viewer, 'viewer-workers-refused');
    await context.close();
  });

  it('renews a refused access token with the refresh token, and signing out ends the session', async () => {
    await page.goto(`${url}/superadmin/dashboard/#/agents`);
    await page.getByRole('row', { name: /dashboard-agent/ }).waitFor();
    // An access token the API refuses (as an expired one is): the next call renews it once.
    const before = await page.evaluate(() => {
      const stored = JSON.parse(sessionStorage.getItem('astra.session') ?? '{}') as Record<string, unknown>;
      sessionStorage.setItem('astra.session', JSON.stringify({ ...stored, token: 'not-a-token' }));
      return stored as { refreshToken: string };
    });
    await page.reload();
    await page.getByRole('row', { name: /dashboard-agent/ }).waitFor();
    const renewed = await page.evaluate(
      () =>
        JSON.parse(sessionStorage.getItem('astra.session') ?? '{}') as {
          token: string;
          refreshToken: string;
        },
    );
    expect(renewed.token).not.toBe('not-a-token');
    expect(renewed.refreshToken).not.toBe(before.refreshToken);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('astra.session'))).toBeNull();
    const reuse = await fetch(`${url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: renewed.refreshToken }),
    });
    expect(reuse.status).toBe(401);
    expect(problems).toEqual([]);
  });
});
