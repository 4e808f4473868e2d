import { readFile } from 'node:fs/promises';
import { AstraClient, type Goal, type Plan } from '@astra/sdk';
import { type Command, Option } from 'commander';
import { readStoredAdminToken } from '../../app/admin-token.js';
import { AstraError } from '../../errors/index.js';
import type { CliContext } from './context.js';

/**
 * Commands that talk to a running Astra over its HTTP API (through the SDK): agents, goals,
 * tasks, graphs, workers. They find the server with --url (ASTRA_URL, default
 * http://127.0.0.1:8080) and authenticate with --token (ASTRA_TOKEN), else the token `astra up`
 * stored in --data-dir (ASTRA_DATA_DIR, default .astra-data). Output is JSON unless said otherwise.
 */
interface ClientFlags {
  url?: string;
  token?: string;
  dataDir?: string;
}

function withClientOptions(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', 'Astra server URL [ASTRA_URL] (default http://127.0.0.1:8080)'))
    .addOption(
      new Option('--token <token>', 'API bearer token [ASTRA_TOKEN] (default: the token in --data-dir)'),
    )
    .addOption(
      new Option(
        '--data-dir <dir>',
        'where `astra up` stored its token [ASTRA_DATA_DIR] (default .astra-data)',
      ),
    );
}

async function clientFor(context: CliContext, flags: ClientFlags): Promise<AstraClient> {
  const baseUrl =
    flags.url ?? context.env.ASTRA_URL ?? `http://127.0.0.1:${context.env.ASTRA_PORT ?? '8080'}`;
  const token =
    flags.token ??
    context.env.ASTRA_TOKEN ??
    context.env.ASTRA_ADMIN_TOKEN ??
    (await readStoredAdminToken(flags.dataDir ?? context.env.ASTRA_DATA_DIR ?? '.astra-data'));
  return new AstraClient({ baseUrl, ...(token === undefined ? {} : { token }), timeoutMs: 30_000 });
}

const print = (context: CliContext, value: unknown): void =>
  context.output.out(JSON.stringify(value, null, 2));

async function readPlan(file: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new AstraError(
      'ASTRA_VALIDATION_FAILED',
      `cannot read plan file ${file}: ${(error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as Plan;
  } catch (error) {
    throw new AstraError(
      'ASTRA_VALIDATION_FAILED',
      `plan file ${file} is not JSON: ${(error as Error).message}`,
    );
  }
}

function describeProgress(goal: Goal): string {
  const p = goal.progress;
  const done = (p.completed ?? 0) + (p.failed ?? 0) + (p.dead_letter ?? 0) + (p.cancelled ?? 0);
  const parts = ['running', 'queued', 'pending', 'created', 'failed', 'dead_letter', 'cancelled']
    .filter((status) => (p[status] ?? 0) > 0)
    .map((status) => `${status} ${p[status]}`);
  return `goal ${goal.status}: ${p.completed ?? 0}/${p.total ?? 0} completed, ${done}/${p.total ?? 0} ended${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

const ENDED = new Set(['completed', 'failed', 'cancelled']);

/** Prints a progress line whenever the goal's counts change, until it ends; returns its final state. */
async function follow(
  context: CliContext,
  client: AstraClient,
  goalId: string,
  intervalMs = 250,
): Promise<Goal> {
  let last = '';
  for (;;) {
    const goal = await client.getGoal(goalId);
    const line = describeProgress(goal);
    if (line !== last) context.output.out(`astra: ${line}`);
    last = line;
    if (ENDED.has(goal.status)) return goal;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function registerClientCommands(program: Command, context: CliContext): void {
  const agent = program.command('agent').description('create and inspect agents');
  withClientOptions(agent.command('create').description('create an agent; prints its id'))
    .requiredOption('--name <name>', 'agent name')
    .option('--type <actorType>', 'actor type', 'agent')
    .option('--tag <tag...>', 'tags')
    .action(async (flags: ClientFlags & { name: string; type: string; tag?: string[] }) => {
      const client = await clientFor(context, flags);
      const created = await client.createAgent({
        name: flags.name,
        actor_type: flags.type,
        tags: flags.tag ?? [],
      });
      context.output.out(created.actor_id);
    });
  withClientOptions(agent.command('list').description('list agents')).action(async (flags: ClientFlags) =>
    print(context, await (await clientFor(context, flags)).listAgents()),
  );
  const serviceToken = agent
    .command('service-token')
    .description("an agent's service tokens: credentials that act as the agent (POST /internal/goals)");
  withClientOptions(
    serviceToken
      .command('create')
      .argument('<agent>')
      .description('mint a token; prints it (shown only once)'),
  )
    .option('--name <name>', 'what the token is for')
    .option('--ttl-seconds <seconds>', 'lifetime (default 30 days, at most a year)', (value) => Number(value))
    .action(async (agentId: string, flags: ClientFlags & { name?: string; ttlSeconds?: number }) => {
      const client = await clientFor(context, flags);
      const created = await client.createServiceToken(agentId, {
        ...(flags.name === undefined ? {} : { name: flags.name }),
        ...(flags.ttlSeconds === undefined ? {} : { ttl_seconds: flags.ttlSeconds }),
      });
      context.output.out(created.token);
    });
  withClientOptions(
    serviceToken.command('list').argument('<agent>').description("list the agent's tokens (prefixes only)"),
  ).action(async (agentId: string, flags: ClientFlags) =>
    print(context, await (await clientFor(context, flags)).listServiceTokens(agentId)),
  );
  withClientOptions(
    serviceToken.command('revoke').argument('<agent>').argument('<token-id>').description('revoke a token'),
  ).action(async (agentId: string, tokenId: string, flags: ClientFlags) =>
    print(context, await (await clientFor(context, flags)).revokeServiceToken(agentId, tokenId)),
  );

  const goal = program.command('goal').description('submit, follow, inspect and cancel goals');
  withClientOptions(goal.command('submit').description('submit a goal with a declared plan (a JSON file)'))
    .requiredOption('--agent <id>', 'agent that pursues the goal')
    .requiredOption('--plan <file>', 'plan file: {"tasks": [{"id", "type", "payload", "depends_on", ...}]}')
    .option('--text <goalText>', 'goal text', 'declared plan')
    .option('--priority <n>', 'goal priority', (value) => Number.parseInt(value, 10))
    .option('--idempotency-key <key>', 'the same key answers the same goal')
    .option('--follow', 'show progress until the goal ends; exit 1 unless it completed')
    .action(
      async (
        flags: ClientFlags & {
          agent: string;
          plan: string;
          text: string;
          priority?: number;
          idempotencyKey?: string;
          follow?: boolean;
        },
      ) => {
        const client = await clientFor(context, flags);
        const plan = await readPlan(flags.plan);
        const submitted = await client.submitGoal(
          flags.agent,
          {
            goal_text: flags.text,
            plan,
            ...(flags.priority === undefined ? {} : { priority: flags.priority }),
          },
          flags.idempotencyKey === undefined ? {} : { idempotencyKey: flags.idempotencyKey },
        );
        context.output.out(
          `astra: goal ${submitted.goal_id} ${submitted.status}: ${submitted.task_count} tasks, graph ${submitted.graph_id ?? '(waiting for dependencies)'}`,
        );
        if (flags.follow === true) await finish(context, client, submitted.goal_id);
      },
    );
  withClientOptions(
    goal.command('follow').argument('<id>').description('show progress until the goal ends'),
  ).action(async (id: string, flags: ClientFlags) => finish(context, await clientFor(context, flags), id));
  withClientOptions(
    goal.command('get').argument('<id>').description('print a goal with its progress'),
  ).action(async (id: string, flags: ClientFlags) =>
    print(context, await (await clientFor(context, flags)).getGoal(id)),
  );
  withClientOptions(
    goal.command('cancel').argument('<id>').description('cancel a goal that has not ended'),
  ).action(async (id: string, flags: ClientFlags) =>
    print(context, await (await clientFor(context, flags)).cancelGoal(id)),
  );
  withClientOptions(program.command('task').argument('<id>').description('print a task')).action(
    async (id: string, flags: ClientFlags) =>
      print(context, await (await clientFor(context, flags)).getTask(id)),
  );
  withClientOptions(
    program.command('graph').argument('<id>').description('print a task graph with its tasks'),
  ).action(async (id: string, flags: ClientFlags) =>
    print(context, await (await clientFor(context, flags)).getGraph(id)),
  );
  withClientOptions(program.command('workers').description('list live workers')).action(
    async (flags: ClientFlags) => print(context, await (await clientFor(context, flags)).listWorkers()),
  );
  const approvals = program
    .command('approvals')
    .description('plans and risky tasks waiting for approval: list, inspect, vote');
  withClientOptions(approvals.command('list').description('list pending approval requests'))
    .option('--agent <id>', 'only the requests of this agent')
    .option('--type <type>', 'only `plan` or `risky_task` requests')
    .action(async (flags: ClientFlags & { agent?: string; type?: 'plan' | 'risky_task' }) =>
      print(
        context,
        await (await clientFor(context, flags)).listPendingApprovals({
          ...(flags.agent === undefined ? {} : { agentId: flags.agent }),
          ...(flags.type === undefined ? {} : { requestType: flags.type }),
        }),
      ),
    );
  withClientOptions(
    approvals.command('get').argument('<id>').description('print a request with its votes and audit trail'),
  ).action(async (id: string, flags: ClientFlags) =>
    print(context, await (await clientFor(context, flags)).getApproval(id)),
  );
  for (const decision of ['approve', 'deny'] as const)
    withClientOptions(
      approvals
        .command(decision)
        .argument('<id>')
        .description(decision === 'approve' ? 'vote to approve a request' : 'deny a request (final)'),
    )
      .option('--reason <text>', 'why (kept in the audit trail)')
      .action(async (id: string, flags: ClientFlags & { reason?: string }) =>
        print(context, await (await clientFor(context, flags)).decideApproval(id, decision, flags.reason)),
      );
  withClientOptions(
    program
      .command('events')
      .description('print live events as they happen, one JSON object a line (with --goal: until it ends)'),
  )
    .option('--goal <id>', 'only the events of this goal')
    .option('--agent <id>', 'only the events of this agent')
    .option('--after <eventId>', 'replay the log after this event id first', (value) =>
      Number.parseInt(value, 10),
    )
    .action(async (flags: ClientFlags & { goal?: string; agent?: string; after?: number }) => {
      const client = await clientFor(context, flags);
      const events = client.events({
        ...(flags.goal === undefined ? {} : { goalId: flags.goal }),
        ...(flags.agent === undefined ? {} : { agentId: flags.agent }),
        ...(flags.after === undefined ? {} : { afterId: flags.after }),
      });
      for await (const event of events) {
        context.output.out(JSON.stringify(event));
        if (flags.goal !== undefined && event.goal_id === flags.goal && GOAL_ENDS.has(event.type)) break;
      }
    });
}

const GOAL_ENDS = new Set(['GoalCompleted', 'GoalFailed', 'GoalCancelled']);

async function finish(context: CliContext, client: AstraClient, goalId: string): Promise<void> {
  const goal = await follow(context, client, goalId);
  context.output.out(`astra: goal ${goal.id} ${goal.status}${goal.error === null ? '' : `: ${goal.error}`}`);
  if (goal.status !== 'completed')
    throw new AstraError('ASTRA_STATE_CONFLICT', `goal ended ${goal.status}`, {
      details: { status: goal.status },
    });
}
