import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AstraProcess, adminTokenOf, runAstra, runNode, urlFrom } from './astra-process.js';

/**
 * The research agent of examples/research-agent end to end: a real `astra up`, the example's
 * worker in its own process (the SDK's Worker over real HTTP), and the example's agent script
 * submitting a goal of custom task types. Then a worker is killed (SIGKILL) while it holds a task:
 * Astra declares it dead after its deadline, and the task runs again in a second worker process.
 * The same worker serves the example's tool, `research.page_words`: a goal's `tool` task for it runs
 * in the worker process, an input that breaks its schema is refused before the worker sees it,
 * and a worker killed while it runs the tool's task has that task dispatched again to another.
 * Short heartbeats and deadline (settings) keep it fast; every wait is on a printed line or a
 * request arriving, never a sleep.
 */
const EXAMPLE = fileURLToPath(new URL('../../../../examples/research-agent/', import.meta.url));
const DEFAULT_ORG = '00000000-0000-4000-8000-000000000001';
const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-remote-worker-'));
let astra: AstraProcess;
let url: string;
let apiKey: string;
/** The agent script's key: no scopes (creating an agent needs the user's full rights). */
let agentKey: string;
let admin: AstraClient;
const children: AstraProcess[] = [];

/** The pages the research agent fetches; `/slow` holds its first request until told to answer. */
let pages: Server;
let pagesUrl: string;
const held: ServerResponse[] = [];
let slowArrived: (() => void) | undefined;

const PAGES: Record<string, string> = {
  '/rivers': 'Rivers carry water to the sea. Rivers flood and rivers feed the delta.',
  '/mountains': 'Mountains rise; mountains erode into rivers of stone. Snow caps mountains.',
  '/slow': 'Slow pages arrive late, but slow pages arrive.',
};

function serve(request: IncomingMessage, response: ServerResponse): void {
  const text = PAGES[request.url ?? ''];
  if (text === undefined) {
    response.writeHead(404).end('not here');
    return;
  }
  if (request.url === '/slow' && slowArrived !== undefined) {
    // The first worker's fetch: held open, so the worker holds its task when it is killed.
    held.push(response);
    const arrived = slowArrived;
    slowArrived = undefined;
    arrived();
    return;
  }
  response.writeHead(200, { 'content-type': 'text/plain' }).end(text);
}

const worker = (): AstraProcess => {
  const child = runNode(path.join(EXAMPLE, 'worker.mjs'), [], {
    ASTRA_URL: url,
    ASTRA_API_KEY: apiKey,
    WORKER_CONCURRENCY: '2',
  });
  children.push(child);
  return child;
};
const registeredId = async (child: AstraProcess): Promise<string> =>
  ((await child.waitForLine(/^worker registered /)).split(' ')[2] as string).trim();
/** Every id the worker process registered under (a worker judged dead on a loaded machine registers again). */
const idsOf = (child: AstraProcess): string[] =>
  child.stdout
    .filter((line) => line.startsWith('worker registered '))
    .map((line) => line.split(' ')[2] as string);
const agent = (...urls: string[]): AstraProcess => {
  const child = runNode(path.join(EXAMPLE, 'agent.mjs'), urls, { ASTRA_URL: url, ASTRA_API_KEY: agentKey });
  children.push(child);
  return child;
};
/** The goal line the agent prints at the end: status, id and the summary. */
const outcomeOf = async (child: AstraProcess) => {
  const line = await child.waitForLine(/^goal (completed|failed|cancelled) /);
  const [, status, goalId, json] = /^goal (\w+) (\S+) (.*)$/.exec(line) as RegExpExecArray;
  return { status, goalId: goalId as string, summary: JSON.parse(json as string) };
};

beforeAll(async () => {
  pages = createServer(serve);
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  pagesUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    ASTRA_WORKER_HEARTBEAT_MS: '250',
    ASTRA_WORKER_DEADLINE_MS: '3000',
    ASTRA_RETRY_BASE_MS: '100',
  });
  url = urlFrom(await astra.waitForLine(/ready \(embedded\) at/));
  admin = new AstraClient({ baseUrl: url, token: adminTokenOf(dataDir) });
  // The worker's credential: an API key (scope `use`) of an agent admin of the organization.
  const email = 'researcher@remote-worker.test';
  const password = 'pw-remote-worker-e2e-1234';
  const user = await admin.createUser({ email, password });
  await admin.putOrgMember(DEFAULT_ORG, { user_id: user.id, role: 'agent_admin' });
  const researcher = new AstraClient({ baseUrl: url });
  await researcher.login(email, password);
  apiKey = (await researcher.createApiKey({ name: 'research worker', scopes: ['use'] })).key;
  agentKey = (await researcher.createApiKey({ name: 'research agent' })).key;
}, 600_000);

afterAll(async () => {
  for (const response of held) response.destroy();
  for (const child of children) if (child.child.exitCode === null) child.child.kill('SIGKILL');
  await Promise.all(children.map((child) => child.exited));
  astra?.child.kill('SIGTERM');
  await astra?.exited;
  await new Promise((resolve) => pages?.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the research agent example, with its worker in its own process', () => {
  it("runs a goal's custom tasks in the worker process and the goal completes", async () => {
    const first = worker();
    await registeredId(first);
    const run = agent(`${pagesUrl}/rivers`, `${pagesUrl}/mountains`);
    const outcome = await outcomeOf(run);
    expect(await run.exited).toBe(0);
    expect(outcome.status).toBe('completed');
    expect(outcome.summary.top_words[0]).toEqual({ word: 'rivers', n: 4 });
    expect(outcome.summary.pages.map((page: { id: string }) => page.id).sort()).toEqual([
      'fetch-1',
      'fetch-2',
    ]);
    // Every task ran in that worker process.
    const goal = await admin.getGoal(outcome.goalId);
    const graph = await admin.getGraph(goal.graph_id as string);
    for (const task of graph.tasks) {
      expect(task.status).toBe('completed');
      expect(idsOf(first)).toContain(task.worker_id);
    }
    // SIGTERM drains and the worker goes offline.
    first.child.kill('SIGTERM');
    await first.waitForLine(/^worker stopped /);
    expect(await first.exited).toBe(0);
    const workers = await admin.listWorkers({ all: 'true' });
    for (const id of idsOf(first)) expect(workers.workers.find((w) => w.id === id)?.status).toBe('offline');
  }, 60_000);

  it('dispatches a killed worker’s task again to a second worker process, and the goal completes', async () => {
    const arrived = new Promise<void>((resolve) => {
      slowArrived = resolve;
    });
    const doomed = worker();
    const doomedId = await registeredId(doomed);
    const run = agent(`${pagesUrl}/slow`, `${pagesUrl}/rivers`);
    // The doomed worker is fetching /slow: it holds that task now.
    await arrived;
    await doomed.waitForLine(/^task claimed \S+ research\.fetch attempt 1/);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const second = worker();
    await registeredId(second);
    const outcome = await outcomeOf(run);
    expect(outcome.status).toBe('completed');
    expect(outcome.summary.pages.find((page: { id: string }) => page.id === 'fetch-1')?.words).toBe(8);
    const goal = await admin.getGoal(outcome.goalId);
    const graph = await admin.getGraph(goal.graph_id as string);
    const slow = graph.tasks.find((task) => task.name === 'fetch-1');
    // The killed attempt counted as a failed try; the second worker process ran a later one.
    expect(slow?.status).toBe('completed');
    expect(slow?.attempt).toBeGreaterThanOrEqual(2);
    expect(idsOf(second)).toContain(slow?.worker_id);
    const workers = await admin.listWorkers({ all: 'true' });
    expect(workers.workers.find((w) => w.id === doomedId)?.status).toBe('offline');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);
});

describe("the example worker's tool, in its own process", () => {
  /** Submits a goal of the given tasks for a new agent of the researcher's, and waits for its end. */
  const runGoal = async (tasks: object[]) => {
    const researcher = new AstraClient({ baseUrl: url, token: agentKey });
    const agentId = (await researcher.createAgent({ name: 'page-counter' })).id;
    const { goal_id: goalId } = await researcher.submitGoal(agentId, {
      goal_text: 'count the words of pages',
      plan: { tasks } as never,
    });
    const stop = new AbortController();
    for await (const event of researcher.events({ goalId, afterId: 0, signal: stop.signal }))
      if (['GoalCompleted', 'GoalFailed', 'GoalCancelled'].includes(event.type)) {
        stop.abort();
        break;
      }
    const goal = await admin.getGoal(goalId);
    const graph = await admin.getGraph(goal.graph_id as string);
    return { goal, tasks: new Map(graph.tasks.map((task) => [task.name, task])) };
  };
  const pageWords = (id: string, input: unknown) => ({
    id,
    type: 'tool',
    payload: { tool: 'research.page_words', input },
    max_retries: 3,
  });

  it('runs a tool task in the worker; an input that breaks the schema never reaches it', async () => {
    const first = worker();
    await registeredId(first);
    const { tasks } = await runGoal([
      pageWords('count', { url: `${pagesUrl}/rivers` }),
      pageWords('bad', { address: `${pagesUrl}/rivers` }),
    ]);
    const count = tasks.get('count');
    expect(count).toMatchObject({ type: 'tool:research.page_words', status: 'completed' });
    expect(count?.result).toEqual({ url: `${pagesUrl}/rivers`, words: 9 });
    expect(idsOf(first)).toContain(count?.worker_id);
    const bad = tasks.get('bad');
    expect(bad?.status).toBe('dead_letter');
    expect(JSON.parse(bad?.error ?? 'null')).toMatchObject({ code: 'ASTRA_TOOL_INPUT_INVALID' });
    expect(first.stdout.some((line) => line.includes(bad?.id as string))).toBe(false);
    expect((await admin.getToolVersion('research.page_words', '1.0.0' as never)).sandbox).toBe('remote');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  }, 60_000);

  it('dispatches the tool task of a killed worker again to a second worker process', async () => {
    const arrived = new Promise<void>((resolve) => {
      slowArrived = resolve;
    });
    const doomed = worker();
    await registeredId(doomed);
    const outcome = runGoal([pageWords('slow', { url: `${pagesUrl}/slow` })]);
    await arrived;
    await doomed.waitForLine(/^task claimed \S+ tool:research\.page_words attempt 1/);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const second = worker();
    await registeredId(second);
    const { goal, tasks } = await outcome;
    expect(goal.status).toBe('completed');
    const slow = tasks.get('slow');
    expect(slow?.result).toEqual({ url: `${pagesUrl}/slow`, words: 8 });
    expect(slow?.attempt).toBeGreaterThanOrEqual(2);
    expect(idsOf(second)).toContain(slow?.worker_id);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);
});
