import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { readProfile } from '../../src/services/agents/agent-store.js';
import { insertUser } from '../../src/services/identity/user-store.js';
import { BUILTIN_RUNNERS, type ToolRunner } from '../../src/services/tools/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { ADMIN_TOKEN, openGateway, type TestGateway } from '../identity/gateway.js';
import { createTestPgliteStore, type TestPgliteStore } from '../support/sql.js';

/**
 * The tool runtime's API (docs/tools.md, "POST /execute" and "Artifacts"): upstream's
 * `POST /execute` runs a registered tool as part of a task through the tool task's checks
 * (allow-list 403, schema 400, approvals by risk tier 202, dry runs), and what a call stores is an
 * artifact of that task — its bytes served by `GET /artifacts/{sha256}` to whoever may read the
 * task, 404 to anyone else exactly as an artifact never stored, 401 without credentials.
 */
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');
const unb64 = (text: string): unknown => JSON.parse(Buffer.from(text, 'base64').toString('utf8'));

/** A tool whose runner stores its input text as a PNG artifact and answers its reference. */
const SNAP: ToolRunner = async ({ input, storeArtifact }) => ({
  image: await storeArtifact(String(input.text), { mediaType: 'image/png' }),
});
/** An idempotent tool whose runner counts its runs: the effect ledger's witness. */
let stamps = 0;
const STAMP: ToolRunner = async () => ({ n: ++stamps });
const STAMP_MANIFEST = {
  name: 'stamp',
  version: '1.0.0',
  risk_tier: 'low',
  sandbox: 'none',
  side_effect: 'idempotent',
  input_schema: { type: 'object', properties: { k: { type: 'string' } } },
};
const SNAP_MANIFEST = {
  name: 'snap',
  version: '1.0.0',
  risk_tier: 'medium',
  sandbox: 'none',
  side_effect: 'read_only',
  input_schema: {
    type: 'object',
    properties: { text: { type: 'string' } },
    required: ['text'],
    additionalProperties: false,
  },
};

let db: TestPgliteStore;
let gw: TestGateway;
beforeEach(async () => {
  db = await createTestPgliteStore();
  gw = await openGateway(db.store, new ManualClock(Date.now()), {
    tools: {
      runners: new Map([...BUILTIN_RUNNERS, ['snap', SNAP], ['stamp', STAMP]]),
      allowedTools: async (agentId) => (await readProfile(db.store, agentId))?.allowedTools ?? null,
    },
  });
  await ok('POST', '/tools', SNAP_MANIFEST);
  await ok('POST', '/tools', STAMP_MANIFEST);
  stamps = 0;
});
afterEach(async () => {
  await gw.close();
  await db.drop();
});

async function ok<T>(method: 'POST' | 'PATCH', url: string, body: object, token = ADMIN_TOKEN): Promise<T> {
  const answer = await gw.call(method, url, { token, body });
  if (answer.statusCode >= 300) throw new Error(`${method} ${url}: ${answer.statusCode} ${answer.body}`);
  return answer.json() as T;
}
const org = async (name: string) => (await ok<{ id: string }>('POST', '/orgs', { name })).id;
async function orgAdmin(email: string, orgId: string): Promise<string> {
  const user = await insertUser(db.store, {
    email,
    displayName: null,
    passwordHash: 'unused',
    isSuperAdmin: false,
  });
  await ok('POST', `/orgs/${orgId}/members`, { user_id: user.id, role: 'org_admin' });
  return (await gw.identity.tokens.issue({ userId: user.id, email, superAdmin: false })).token;
}
/** An agent of the organization and the one task of a goal it was given. */
async function taskOf(orgId: string, config: object = {}): Promise<{ agentId: string; taskId: string }> {
  const { actor_id: agentId } = await ok<{ actor_id: string }>('POST', '/agents', {
    name: 'worker',
    org_id: orgId,
    config,
  });
  const { goal_id: goalId } = await ok<{ goal_id: string }>('POST', `/agents/${agentId}/goals`, {
    goal_text: 'work',
    plan: { tasks: [{ id: 'a', type: 'noop' }] },
  });
  const { rows } = await db.store.query<{ id: string }>('SELECT id FROM tasks WHERE goal_id = $1', [goalId]);
  return { agentId, taskId: String(rows[0]?.id) };
}
/** A call as `token` (default the admin token; null: no credentials). */
const execute = (body: object, token: string | null = ADMIN_TOKEN) =>
  gw.call('POST', '/execute', { ...(token === null ? {} : { token }), body });

describe('artifacts through the API', () => {
  it("serves a task's artifact to whoever may read the task, 404 to another organization, 401 to nobody", async () => {
    const [a, b] = [await org('A'), await org('B')];
    const { taskId } = await taskOf(a);
    const ownerToken = await orgAdmin('owner@a.test', a);
    const strangerToken = await orgAdmin('stranger@b.test', b);

    const ran = await execute({ name: 'snap', input: b64({ text: 'pixels' }), task_id: taskId }, ownerToken);
    expect(ran.statusCode, ran.body).toBe(200);
    const answer = ran.json() as { output: string; exit_code: number; artifacts: string[]; tool: string };
    const result = unb64(answer.output) as {
      image: { $artifact: string; media_type: string; size_bytes: number };
    };
    expect(result.image).toMatchObject({ media_type: 'image/png', size_bytes: 6 });
    expect(answer).toMatchObject({ exit_code: 0, tool: 'snap@1.0.0', artifacts: [result.image.$artifact] });
    const sha = result.image.$artifact.slice('astra://artifacts/'.length);

    const got = await gw.call('GET', `/artifacts/${sha}`, { token: ownerToken });
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.toString('utf8')).toBe('pixels');
    expect(got.headers).toMatchObject({
      'content-type': 'image/png',
      'content-length': '6',
      etag: `"${sha}"`,
      'x-content-type-options': 'nosniff',
    });
    expect(String(got.headers['cache-control'])).toMatch(/^private/);
    const again = await gw.call('GET', `/artifacts/${sha}`, {
      token: ownerToken,
      headers: { 'if-none-match': `"${sha}"` },
    });
    expect(again.statusCode).toBe(304);

    // Another organization gets what an artifact never stored gets: nothing tells them it exists.
    const theirs = await gw.call('GET', `/artifacts/${sha}`, { token: strangerToken });
    const never = await gw.call('GET', `/artifacts/${'0'.repeat(64)}`, { token: strangerToken });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().error.code).toBe('ASTRA_ARTIFACT_NOT_FOUND');
    expect(theirs.body.replaceAll(sha, '<sha>')).toBe(never.body.replaceAll('0'.repeat(64), '<sha>'));
    expect(
      (
        await gw.call('GET', `/artifacts/${sha}`, {
          token: strangerToken,
          headers: { 'if-none-match': `"${sha}"` },
        })
      ).statusCode,
    ).toBe(404);
    expect((await gw.call('GET', `/artifacts/${sha}`)).statusCode).toBe(401);
    expect((await gw.call('GET', '/artifacts/not-a-sha', { token: ownerToken })).statusCode).toBe(404);

    const listed = await gw.call('GET', `/tasks/${taskId}/artifacts`, { token: ownerToken });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toMatchObject({
      task_id: taskId,
      artifacts: [
        { uri: result.image.$artifact, sha256: sha, media_type: 'image/png', size_bytes: 6, task_id: taskId },
      ],
    });
    expect((await gw.call('GET', `/tasks/${taskId}/artifacts`, { token: strangerToken })).statusCode).toBe(
      404,
    );
    expect((await gw.call('GET', `/tasks/${taskId}/artifacts`)).statusCode).toBe(401);
  });
});

describe('POST /execute', () => {
  it("runs a built-in tool in the task's goal workspace and answers upstream's shape", async () => {
    const { taskId } = await taskOf(await org('A'));
    const wrote = await execute({
      name: 'file_write@1.0.0',
      input: b64({ path: 'notes/a.txt', content: 'hello' }),
      task_id: taskId,
      timeout_seconds: 30,
      memory_limit: '256Mi',
      cpu_limit: 1,
      worker_id: 'worker-1',
    });
    expect(wrote.statusCode, wrote.body).toBe(200);
    expect(unb64(wrote.json().output)).toEqual({ path: 'notes/a.txt', bytes: 5 });
    const read = await execute({ name: 'file_read', input: b64({ path: 'notes/a.txt' }), task_id: taskId });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toMatchObject({
      exit_code: 0,
      artifacts: [],
      dry_run: false,
      tool: 'file_read@1.0.0',
    });
    expect(unb64(read.json().output)).toMatchObject({ content: 'hello', bytes: 5 });
    expect(typeof read.json().duration_ms).toBe('number');
  });

  it('checks without running on dry_run', async () => {
    const { taskId } = await taskOf(await org('A'));
    const dry = await execute({ name: 'snap', input: b64({ text: 'x' }), task_id: taskId, dry_run: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ dry_run: true, approval_required: false, artifacts: [], output: '' });
    expect(
      (await gw.call('GET', `/tasks/${taskId}/artifacts`, { token: ADMIN_TOKEN })).json().artifacts,
    ).toEqual([]);
    const wrong = await execute({ name: 'snap', input: b64({ text: 1 }), task_id: taskId, dry_run: true });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error).toMatchObject({
      code: 'ASTRA_TOOL_INPUT_INVALID',
      details: { tool: 'snap@1.0.0' },
    });
    expect(wrong.json().error.details.issues).toContain('/text');
  });

  it("refuses a tool outside the task's agent's allow-list with 403", async () => {
    const { agentId, taskId } = await taskOf(await org('A'));
    await ok('PATCH', `/agents/${agentId}/platform`, { allowed_tools: ['file_read'] });
    const refused = await execute({ name: 'snap', input: b64({ text: 'x' }), task_id: taskId });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('ASTRA_TOOL_NOT_ALLOWED');
    expect(
      (await execute({ name: 'file_read', input: b64({ path: 'none' }), task_id: taskId, dry_run: true }))
        .statusCode,
    ).toBe(200);
  });

  it('holds a call whose risk tier needs approval (202) and runs it for the approved task', async () => {
    const { taskId } = await taskOf(await org('A'), { approval_risk_tier: 'medium' });
    const dry = await execute({ name: 'snap', input: b64({ text: 'x' }), task_id: taskId, dry_run: true });
    expect(dry.json()).toMatchObject({ dry_run: true, approval_required: true });

    const held = await execute({ name: 'snap', input: b64({ text: 'risky' }), task_id: taskId });
    expect(held.statusCode, held.body).toBe(202);
    const pending = held.json() as {
      status: string;
      approval_request_id: string;
      approval_id: string;
      task_id: string;
    };
    expect(pending).toMatchObject({ status: 'pending_approval', tool: 'snap@1.0.0' });
    expect(pending.approval_id).toBe(pending.approval_request_id);
    const approval = await gw.call('GET', `/approvals/${pending.approval_request_id}`, {
      token: ADMIN_TOKEN,
    });
    expect(approval.json()).toMatchObject({ status: 'pending', task_id: pending.task_id });
    const waiting = await gw.call('GET', `/tasks/${pending.task_id}`, { token: ADMIN_TOKEN });
    expect(waiting.json()).toMatchObject({ status: 'waiting_approval', type: 'tool' });
    expect(waiting.json().payload).toEqual({ tool: 'snap@1.0.0', input: { text: 'risky' } });
    // Nothing ran: the original task stored nothing.
    expect(
      (await gw.call('GET', `/tasks/${taskId}/artifacts`, { token: ADMIN_TOKEN })).json().artifacts,
    ).toEqual([]);

    await ok('POST', `/approvals/${pending.approval_request_id}/decide`, { decision: 'approve' });
    const covered = await execute({ name: 'snap', input: b64({ text: 'risky' }), task_id: pending.task_id });
    expect(covered.statusCode, covered.body).toBe(200);
    expect(covered.json().artifacts).toHaveLength(1);
    // The approval covers the tool its task names, not another.
    const other = await execute({
      name: 'file_read',
      input: b64({ path: 'a' }),
      task_id: pending.task_id,
      dry_run: true,
    });
    expect(other.json()).toMatchObject({ approval_required: false });
  });

  it("makes a tool task's own call under the effect ledger, once, and any other call each time", async () => {
    const { actor_id: agentId } = await ok<{ actor_id: string }>('POST', '/agents', { name: 'ledgered' });
    const { goal_id: goalId } = await ok<{ goal_id: string }>('POST', `/agents/${agentId}/goals`, {
      goal_text: 'a tool task',
      plan: { tasks: [{ id: 't', type: 'tool', payload: { tool: 'stamp', input: { k: 'a' } } }] },
    });
    const { rows } = await db.store.query<{ id: string }>('SELECT id FROM tasks WHERE goal_id = $1', [
      goalId,
    ]);
    const taskId = String(rows[0]?.id);
    const call = async (input: object) => {
      const answer = await execute({ name: 'stamp', input: b64(input), task_id: taskId });
      expect(answer.statusCode, answer.body).toBe(200);
      return unb64(answer.json().output);
    };
    expect(await call({ k: 'a' })).toEqual({ n: 1 });
    // The same call again answers the recorded result without acting.
    expect(await call({ k: 'a' })).toEqual({ n: 1 });
    // Another input is not the task's call: it acts each time.
    expect(await call({ k: 'b' })).toEqual({ n: 2 });
    expect(await call({ k: 'b' })).toEqual({ n: 3 });
    const effects = await db.store.query<{ status: string; runs: number; call_index: number }>(
      'SELECT status, runs, call_index FROM tool_effects WHERE task_id = $1',
      [taskId],
    );
    expect(effects.rows).toEqual([{ status: 'succeeded', runs: 1, call_index: 0 }]);
  });

  it('answers malformed calls with 4xx and stable codes', async () => {
    const [a, b] = [await org('A'), await org('B')];
    const { taskId } = await taskOf(a);
    const stranger = await orgAdmin('stranger@b.test', b);
    const code = async (body: object, token?: string) => {
      const answer = await execute(body, token);
      return [answer.statusCode, answer.json().error?.code, answer.json().error?.details?.path];
    };
    expect(await code({ name: 'snap', input: 'not base64!', task_id: taskId })).toEqual([
      400,
      'ASTRA_VALIDATION_FAILED',
      'body.input',
    ]);
    expect(await code({ name: 'snap', input: 'e30', task_id: taskId })).toEqual([
      400,
      'ASTRA_VALIDATION_FAILED',
      'body.input',
    ]);
    expect(
      await code({ name: 'snap', input: Buffer.from('[1]').toString('base64'), task_id: taskId }),
    ).toEqual([400, 'ASTRA_VALIDATION_FAILED', 'body.input']);
    expect(
      await code({ name: 'snap', input: Buffer.from('{oops').toString('base64'), task_id: taskId }),
    ).toEqual([400, 'ASTRA_VALIDATION_FAILED', 'body.input']);
    expect(await code({ name: 'snap', input: b64({ text: 'x' }) })).toEqual([
      400,
      'ASTRA_VALIDATION_FAILED',
      'body.task_id',
    ]);
    expect(await code({ name: 'snap', task_id: taskId, memory_limit: 'lots' })).toEqual([
      400,
      'ASTRA_VALIDATION_FAILED',
      'body.memory_limit',
    ]);
    expect((await code({ name: 'nothing_here', task_id: taskId })).slice(0, 2)).toEqual([
      404,
      'ASTRA_TOOL_NOT_FOUND',
    ]);
    expect(
      (await code({ name: 'snap', input: b64({ text: 'x' }), task_id: taskId }, stranger)).slice(0, 2),
    ).toEqual([404, 'ASTRA_NOT_FOUND']);
    expect((await execute({ name: 'snap', task_id: taskId }, null)).statusCode).toBe(401);
    expect((await code({ name: 'js_eval', input: b64({ code: '1' }), task_id: taskId })).slice(0, 2)).toEqual(
      [503, 'ASTRA_TOOL_UNAVAILABLE'],
    );
  });
});

describe('astra artifact', () => {
  it("downloads an artifact over HTTP to a file and lists a task's, refusing what the token may not read", async () => {
    const [a, b] = [await org('A'), await org('B')];
    const { taskId } = await taskOf(a);
    const ran = await execute({ name: 'snap', input: b64({ text: 'downloaded' }), task_id: taskId });
    const [uri] = ran.json().artifacts as string[];
    const url = await gw.app.listen({ host: '127.0.0.1', port: 0 });
    const dir = mkdtempSync(path.join(tmpdir(), 'astra-cli-artifact-'));
    try {
      const cli = async (token: string, ...args: string[]) => {
        const lines: string[] = [];
        const code = await runCli([...args, '--url', url, '--token', token], {
          env: {},
          output: { out: (line) => lines.push(line), err: (line) => lines.push(line) },
          logDestination: pino.destination({ dest: '/dev/null', sync: true }),
          waitForStop: () => new Promise(() => undefined),
        });
        return { code, text: lines.join('\n') };
      };
      const file = path.join(dir, 'shot.png');
      const got = await cli(ADMIN_TOKEN, 'artifact', 'get', String(uri), '--out', file);
      expect(got, got.text).toMatchObject({ code: 0 });
      expect(got.text).toContain('image/png');
      expect(readFileSync(file, 'utf8')).toBe('downloaded');
      const listed = await cli(ADMIN_TOKEN, 'artifact', 'list', taskId);
      expect(JSON.parse(listed.text).artifacts.map((item: { uri: string }) => item.uri)).toEqual([uri]);

      const stranger = await orgAdmin('stranger@b.test', b);
      const refused = await cli(stranger, 'artifact', 'get', String(uri), '--out', path.join(dir, 'no.png'));
      expect(refused.code).toBe(1);
      expect(refused.text).toContain('ASTRA_ARTIFACT_NOT_FOUND');
      expect(readdirSync(dir)).toEqual(['shot.png']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
