import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AstraProcess, adminTokenOf, runAstra, urlFrom } from './astra-process.js';

/**
 * The CLI's client commands as a user runs them: against a real `astra up` whose data lives in
 * `<project>/.astra-data`, from a directory below the project, with no token given — the CLI
 * finds the admin token by itself — and with agents named rather than numbered.
 */
const project = mkdtempSync(path.join(tmpdir(), 'astra-cli-'));
const below = path.join(project, 'src', 'deep');
const elsewhere = mkdtempSync(path.join(tmpdir(), 'astra-cli-nowhere-'));
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
let astra: AstraProcess;
let url: string;
let client: AstraClient;

const cli = (args: readonly string[], cwd = below): AstraProcess =>
  runAstra([...args, '--url', url], {}, { cwd });

function planFile(name: string, plan: object): string {
  const file = path.join(project, `${name}.json`);
  writeFileSync(file, JSON.stringify(plan));
  return file;
}

beforeAll(async () => {
  mkdirSync(below, { recursive: true });
  astra = runAstra(
    ['up', '--port', '0', '--data-dir', path.join(project, '.astra-data'), '--log-level', 'warn'],
    { ASTRA_RISKY_TASK_TYPES: 'deploy' },
  );
  url = urlFrom(await astra.waitForLine(/ready \(embedded\) at/));
  client = new AstraClient({ baseUrl: url, token: adminTokenOf(path.join(project, '.astra-data')) });
}, 60_000);

afterAll(async () => {
  astra.child.kill('SIGTERM');
  await astra.exited;
  rmSync(project, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

describe('astra client commands', () => {
  it('finds the admin token from a directory below the data dir and takes agent names for ids', async () => {
    const create = cli(['agent', 'create', '--name', 'demo']);
    expect(await create.exited, create.stderr.join('\n')).toBe(0);
    const agentId = create.stdout[0] as string;
    expect(agentId).toMatch(new RegExp(`^${UUID}$`));
    const plan = planFile('one', { tasks: [{ id: 'a', type: 'echo', payload: 1 }] });
    const submit = cli(['goal', 'submit', '--agent', 'demo', '--plan', plan, '--follow']);
    expect(await submit.exited, submit.stderr.join('\n')).toBe(0);
    expect(submit.stdout.join('\n')).toMatch(/1\/1 completed/);
    const listed = cli(['approvals', 'list', '--agent', 'demo']);
    expect(await listed.exited).toBe(0);
    expect(JSON.parse(listed.stdout.join('\n'))).toEqual({ approvals: [] });
  });

  it('says in one line where it looked when it finds no token', async () => {
    const lost = cli(['workers'], elsewhere);
    expect(await lost.exited).toBe(1);
    expect(lost.stderr).toHaveLength(1);
    expect(lost.stderr[0]).toMatch(
      /^astra: ASTRA_CREDENTIAL_NOT_FOUND: no API token: looked at --token, ASTRA_TOKEN/,
    );
    expect(lost.stderr[0]).toContain(path.join(elsewhere, '.astra-data', 'admin-token'));
    expect(lost.stderr[0]).toContain('--data-dir');
    const named = cli(['workers', '--data-dir', path.join(project, '.astra-data')], elsewhere);
    expect(await named.exited).toBe(0);
  });

  it('refuses an unknown agent name and lists the ids of an ambiguous one', async () => {
    const twins = [await client.createAgent({ name: 'twin' }), await client.createAgent({ name: 'twin' })];
    const plan = planFile('twin', { tasks: [{ id: 'a', type: 'noop' }] });
    const ambiguous = cli(['goal', 'submit', '--agent', 'twin', '--plan', plan]);
    expect(await ambiguous.exited).toBe(1);
    expect(ambiguous.stderr[0]).toMatch(/ASTRA_VALIDATION_FAILED: 2 agents are named "twin"/);
    for (const twin of twins) expect(ambiguous.stderr[0]).toContain(twin.actor_id);
    const unknown = cli(['goal', 'submit', '--agent', 'nobody-by-this-name', '--plan', plan]);
    expect(await unknown.exited).toBe(1);
    expect(unknown.stderr[0]).toMatch(/ASTRA_NOT_FOUND: no agent is named "nobody-by-this-name"/);
  });

  it('takes a goal in words with --text, and says how to configure a provider when there is none', async () => {
    await client.createAgent({ name: 'wordsmith' });
    const words = cli(['goal', 'submit', '--agent', 'wordsmith', '--text', 'Summarize the release notes']);
    expect(await words.exited).toBe(1);
    expect(words.stderr).toHaveLength(1);
    expect(words.stderr[0]).toMatch(/ASTRA_LLM_NO_PROVIDER: .*OPENAI_API_KEY/);
    const neither = cli(['goal', 'submit', '--agent', 'wordsmith']);
    expect(await neither.exited).toBe(1);
    expect(neither.stderr[0]).toMatch(/ASTRA_VALIDATION_FAILED: give the goal in words \(--text/);
  });

  it('--follow shows waiting_approval with the approval id of the plan, then of each held task', async () => {
    await client.createAgent({ name: 'careful', config: { require_plan_approval: true } });
    const plan = planFile('careful', {
      tasks: [
        { id: 'build', type: 'echo', payload: 'built' },
        { id: 'ship', type: 'echo', payload: { tool: 'deploy' }, depends_on: ['build'] },
      ],
    });
    const follow = cli(['goal', 'submit', '--agent', 'careful', '--plan', plan, '--follow']);
    const planLine = await follow.waitForLine(new RegExp(`goal waiting_approval: .*plan approval (${UUID})`));
    expect(planLine).not.toMatch(/0\/0 completed/);
    const planApproval = new RegExp(`plan approval (${UUID})`).exec(planLine)?.[1] as string;
    await client.approve(planApproval);
    const taskLine = await follow.waitForLine(
      new RegExp(`waiting_approval: task ${UUID} approval (${UUID})`),
    );
    expect(taskLine).toMatch(/goal active: 1\/2 completed/);
    await client.approve(
      new RegExp(`approval (${UUID})`).exec(taskLine.split('task ')[1] as string)?.[1] as string,
    );
    expect(await follow.exited, follow.stderr.join('\n')).toBe(0);
    expect(follow.stdout.join('\n')).toMatch(/2\/2 completed/);
  });

  it('`events --goal` prints an ended goal its history and exits; an unknown goal is a 404', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'historian' });
    const goal = await client.submitGoal(agentId, {
      goal_text: 'history',
      plan: {
        tasks: [
          { id: 'a', type: 'echo', payload: 1 },
          { id: 'b', type: 'noop', depends_on: ['a'] },
        ],
      },
    });
    expect(await cli(['goal', 'follow', goal.goal_id]).exited).toBe(0);
    const history = cli(['events', '--goal', goal.goal_id]);
    expect(await history.exited, history.stderr.join('\n')).toBe(0);
    const events = history.stdout.map(
      (line) => JSON.parse(line) as { id: number; type: string; goal_id: string },
    );
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('GoalCreated');
    expect(types.at(-1)).toBe('GoalCompleted');
    expect(types.filter((type) => type === 'TaskCompleted')).toHaveLength(2);
    expect(events.every((event) => event.goal_id === goal.goal_id)).toBe(true);
    const ids = events.map((event) => event.id);
    expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b));
    const unknown = cli(['events', '--goal', '00000000-0000-4000-8000-00000000abcd']);
    expect(await unknown.exited).toBe(1);
    expect(unknown.stderr[0]).toMatch(/ASTRA_NOT_FOUND/);
  });

  it('`events --goal` on a running goal prints what happened so far, follows it live and exits at its end', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'live' });
    const goal = await client.submitGoal(agentId, {
      goal_text: 'live',
      plan: { tasks: [{ id: 'a', type: 'echo', payload: { tool: 'deploy' } }] },
    });
    const live = cli(['events', '--goal', goal.goal_id]);
    await live.waitForLine(/"type":"ApprovalRequested"/);
    const [approval] = (await client.listPendingApprovals({ agent_id: agentId })).approvals;
    await client.approve(approval?.id as string);
    expect(await live.exited, live.stderr.join('\n')).toBe(0);
    const types = live.stdout.map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types[0]).toBe('GoalCreated');
    expect(types).toContain('ApprovalApproved');
    expect(types).toContain('GoalCompleted');
  });
});
