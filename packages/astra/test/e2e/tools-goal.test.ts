import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBubblewrapDriver } from '../../src/adapters/sandbox/bubblewrap/driver.js';
import { toolTask as tool } from '../support/tool-task-kit.js';
import { type AstraProcess, adminTokenOf, goalEnded, runAstra, urlFrom } from './astra-process.js';

/**
 * One goal submitted over REST to a real `astra up` (embedded) runs the tool runtime end to end:
 * `shell_exec` writes a file into the goal's workspace, `file_read` reads it back, `http_request`
 * reaches a loopback server the task grants and is refused where nothing grants it (a structured
 * error the model can read), `js_eval` runs the shell's output as its script, `browser_screenshot`
 * stores a PNG of a page as an artifact that the API serves to whoever may read the task (and to
 * no one else), and the egress log names
 * both requests. Every result is read back over the API.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-tools-e2e-'));
let astra: AstraProcess | undefined;
let upstream: Server | undefined;
let upstreamPort = 0;
let client: AstraClient;
let url: string;
const probe = createBubblewrapDriver();
const hasBubblewrap = (await probe.available()).ok;
await probe.close();

beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.url === '/page') {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>Report</title><h1 style="color:teal">Quarterly report</h1>');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, method: req.method, greeting: 'hello from upstream' }));
  });
  await new Promise<void>((resolve) => upstream?.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as AddressInfo).port;
  astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
  url = urlFrom(await astra.waitForLine(/ready \(embedded\) at/));
  client = new AstraClient({ baseUrl: url, token: adminTokenOf(dataDir) });
}, 120_000);

afterAll(async () => {
  astra?.child.kill('SIGTERM');
  await astra?.exited;
  await new Promise((resolve) => (upstream === undefined ? resolve(undefined) : upstream.close(resolve)));
  rmSync(dataDir, { recursive: true, force: true });
});

/** A signed-in user of another organization. */
async function strangerClient(): Promise<AstraClient> {
  const org = await client.createOrg({ name: 'elsewhere' });
  const email = 'stranger@tools-e2e.test';
  const password = 'pw-stranger-tools-e2e-1234';
  const user = await client.createUser({ email, password });
  await client.putOrgMember(org.id, { user_id: user.id, role: 'org_admin' });
  const stranger = new AstraClient({ baseUrl: url });
  await stranger.login(email, password);
  return stranger;
}

const ended = (goalId: string): Promise<string> => goalEnded(client, goalId);

describe.skipIf(!hasBubblewrap)('a goal over REST runs the tool runtime end to end', () => {
  it('runs shell_exec, file_read, http_request (allowed and refused), js_eval and a browser screenshot', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'hands' });
    const loopback = '127.0.0.1';
    const submitted = await client.submitGoal(agentId, {
      goal_text: 'use every tool once',
      plan: {
        tasks: [
          tool('shell', 'shell_exec', {
            command: "echo 'from the shell' > notes.txt; printf '6 * 7'; exit 3",
          }),
          tool('read', 'file_read', { path: 'notes.txt' }, { dependsOn: ['shell'] }),
          tool(
            'fetch',
            'http_request',
            { url: `http://${loopback}:${upstreamPort}/items?n=2`, method: 'GET' },
            { egress: [{ host: loopback, ports: [upstreamPort] }] },
          ),
          tool(
            'shot',
            'browser_screenshot',
            { url: `http://${loopback}:${upstreamPort}/page` },
            { egress: [{ host: loopback, ports: [upstreamPort] }] },
          ),
          tool('refused', 'http_request', { url: `http://${loopback}:${upstreamPort}/nope`, method: 'GET' }),
          tool(
            'compute',
            'js_eval',
            { code: { $from: 'shell', pointer: '/stdout' } },
            { dependsOn: ['shell'] },
          ),
        ],
      },
    });
    const goalId = submitted.goal_id;
    expect(await ended(goalId)).toBe('GoalFailed');
    const goal = await client.getGoal(goalId);
    const graph = await client.getGraph(goal.graph_id as string);
    const byName = new Map(graph.tasks.map((task) => [task.name, task]));
    const result = async (name: string) => (await client.getTask(byName.get(name)?.id as string)).result;

    expect(byName.get('shell')?.status).toBe('completed');
    expect(await result('shell')).toMatchObject({ stdout: '6 * 7', exit_code: 3 });
    expect(await result('read')).toMatchObject({ path: 'notes.txt', content: 'from the shell\n' });
    const fetched = (await result('fetch')) as { status: number; body: string };
    expect(fetched.status).toBe(200);
    expect(JSON.parse(fetched.body)).toEqual({
      path: '/items?n=2',
      method: 'GET',
      greeting: 'hello from upstream',
    });

    const shot = (await result('shot')) as {
      artifact: { $artifact: string; media_type: string; size_bytes: number };
      width: number;
    };
    expect(shot).toMatchObject({ width: 1280, artifact: { media_type: 'image/png' } });
    expect(shot.artifact.$artifact).toMatch(/^astra:\/\/artifacts\/[0-9a-f]{64}$/);
    // The PNG is fetchable over the API by whoever may read the task, and by no one else.
    const sha = shot.artifact.$artifact.slice('astra://artifacts/'.length);
    const png = await client.getArtifact(sha);
    expect(png.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await png.arrayBuffer());
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(bytes.length).toBe(shot.artifact.size_bytes);
    const listed = await client.listTaskArtifacts(byName.get('shot')?.id as string);
    expect(listed.artifacts.map((artifact) => artifact.sha256)).toEqual([sha]);
    const stranger = await strangerClient();
    await expect(stranger.getArtifact(sha)).rejects.toMatchObject({ status: 404 });
    await expect(new AstraClient({ baseUrl: url }).getArtifact(sha)).rejects.toMatchObject({ status: 401 });

    const refused = await client.getTask(byName.get('refused')?.id as string);
    expect(refused.status).toBe('dead_letter');
    const refusal = JSON.parse(refused.error as string) as { code: string; details: Record<string, unknown> };
    expect(refusal.code).toBe('ASTRA_TOOL_EGRESS_REFUSED');
    expect(refusal.details.egress_code).toMatch(/^ASTRA_EGRESS_/);

    // The shell's output, handed on by reference, is the script js_eval runs.
    expect(await result('compute')).toMatchObject({ value: 42 });

    const egress = await client.listTaskEgress(byName.get('fetch')?.id as string);
    expect(egress.egress.map((record) => [record.host, record.outcome])).toEqual([[loopback, 'allowed']]);
    const refusedLog = await client.listTaskEgress(byName.get('refused')?.id as string);
    expect(refusedLog.egress.map((record) => record.outcome)).toEqual(['denied']);
  });
});
