import { readFile } from 'node:fs/promises';
import type { Plan } from '@astra/sdk';
import type { Command } from 'commander';
import { AstraError } from '../../errors/index.js';
import { resolveAgentId } from './agent-ref.js';
import { type ClientFlags, withClient, withClientOptions } from './connection.js';
import type { CliContext } from './context.js';
import { printEvents } from './goal-events.js';
import { finishGoal } from './goal-progress.js';

/**
 * Commands that talk to a running Astra over its HTTP API (through the SDK): agents, goals,
 * tasks, graphs, workers, approvals, events. connection.ts finds the server and the token;
 * wherever an agent is asked for, its name works as well as its id (agent-ref.ts). Output is
 * JSON unless said otherwise.
 */
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

export function registerClientCommands(program: Command, context: CliContext): void {
  registerAgentCommands(program, context);
  registerGoalCommands(program, context);
  registerInspectCommands(program, context);
  registerApprovalCommands(program, context);
  registerEventsCommand(program, context);
}

function registerAgentCommands(program: Command, context: CliContext): void {
  const agent = program.command('agent').description('create and inspect agents');
  withClientOptions(agent.command('create').description('create an agent; prints its id'))
    .requiredOption('--name <name>', 'agent name')
    .option('--type <actorType>', 'actor type', 'agent')
    .option('--tag <tag...>', 'tags')
    .action((flags: ClientFlags & { name: string; type: string; tag?: string[] }) =>
      withClient(context, flags, async (client) => {
        const created = await client.createAgent({
          name: flags.name,
          actor_type: flags.type,
          tags: flags.tag ?? [],
        });
        context.output.out(created.actor_id);
      }),
    );
  withClientOptions(agent.command('list').description('list agents')).action((flags: ClientFlags) =>
    withClient(context, flags, async (client) => print(context, await client.listAgents())),
  );
  const serviceToken = agent
    .command('service-token')
    .description("an agent's service tokens: credentials that act as the agent (POST /internal/goals)");
  withClientOptions(
    serviceToken
      .command('create')
      .argument('<agent>', 'agent id or name')
      .description('mint a token; prints it (shown only once)'),
  )
    .option('--name <name>', 'what the token is for')
    .option('--ttl-seconds <seconds>', 'lifetime (default 30 days, at most a year)', (value) => Number(value))
    .action((agentRef: string, flags: ClientFlags & { name?: string; ttlSeconds?: number }) =>
      withClient(context, flags, async (client) => {
        const created = await client.createServiceToken(await resolveAgentId(client, agentRef), {
          ...(flags.name === undefined ? {} : { name: flags.name }),
          ...(flags.ttlSeconds === undefined ? {} : { ttl_seconds: flags.ttlSeconds }),
        });
        context.output.out(created.token);
      }),
    );
  withClientOptions(
    serviceToken
      .command('list')
      .argument('<agent>', 'agent id or name')
      .description("list the agent's tokens (prefixes only)"),
  ).action((agentRef: string, flags: ClientFlags) =>
    withClient(context, flags, async (client) =>
      print(context, await client.listServiceTokens(await resolveAgentId(client, agentRef))),
    ),
  );
  withClientOptions(
    serviceToken
      .command('revoke')
      .argument('<agent>', 'agent id or name')
      .argument('<token-id>')
      .description('revoke a token'),
  ).action((agentRef: string, tokenId: string, flags: ClientFlags) =>
    withClient(context, flags, async (client) =>
      print(context, await client.revokeServiceToken(await resolveAgentId(client, agentRef), tokenId)),
    ),
  );
}

function registerGoalCommands(program: Command, context: CliContext): void {
  const goal = program.command('goal').description('submit, follow, inspect and cancel goals');
  withClientOptions(
    goal
      .command('submit')
      .description('submit a goal: in words (--text, planned by a model) or with a declared plan (--plan)'),
  )
    .requiredOption('--agent <agent>', 'agent (id or name) that pursues the goal')
    .option('--plan <file>', 'plan file: {"tasks": [{"id", "type", "payload", "depends_on", ...}]}')
    .option('--text <goalText>', 'the goal in words; without --plan the planner turns it into tasks')
    .option('--priority <n>', 'goal priority', (value) => Number.parseInt(value, 10))
    .option('--idempotency-key <key>', 'the same key answers the same goal')
    .option('--follow', 'show progress until the goal ends; exit 1 unless it completed')
    .action(
      (
        flags: ClientFlags & {
          agent: string;
          plan?: string;
          text?: string;
          priority?: number;
          idempotencyKey?: string;
          follow?: boolean;
        },
      ) =>
        withClient(context, flags, async (client) => {
          if (flags.plan === undefined && flags.text === undefined)
            throw new AstraError(
              'ASTRA_VALIDATION_FAILED',
              'give the goal in words (--text "…", planned by a model) or a declared plan (--plan file.json)',
            );
          const plan = flags.plan === undefined ? undefined : await readPlan(flags.plan);
          const submitted = await client.submitGoal(
            await resolveAgentId(client, flags.agent),
            {
              goal_text: flags.text ?? 'declared plan',
              ...(plan === undefined ? {} : { plan }),
              ...(flags.priority === undefined ? {} : { priority: flags.priority }),
            },
            flags.idempotencyKey === undefined ? {} : { idempotencyKey: flags.idempotencyKey },
          );
          const where =
            submitted.approval_id === undefined
              ? `graph ${submitted.graph_id ?? '(waiting for dependencies)'}`
              : `waiting_approval: plan approval ${submitted.approval_id}`;
          context.output.out(
            `astra: goal ${submitted.goal_id} ${submitted.status}: ${submitted.task_count} tasks, ${where}`,
          );
          if (flags.follow === true) await finishGoal(context, client, submitted.goal_id);
        }),
    );
  withClientOptions(
    goal.command('follow').argument('<id>').description('show progress until the goal ends'),
  ).action((id: string, flags: ClientFlags) =>
    withClient(context, flags, (client) => finishGoal(context, client, id)),
  );
  withClientOptions(
    goal.command('get').argument('<id>').description('print a goal with its progress'),
  ).action((id: string, flags: ClientFlags) =>
    withClient(context, flags, async (client) => print(context, await client.getGoal(id))),
  );
  withClientOptions(
    goal.command('cancel').argument('<id>').description('cancel a goal that has not ended'),
  ).action((id: string, flags: ClientFlags) =>
    withClient(context, flags, async (client) => print(context, await client.cancelGoal(id))),
  );
}

function registerInspectCommands(program: Command, context: CliContext): void {
  withClientOptions(program.command('task').argument('<id>').description('print a task')).action(
    (id: string, flags: ClientFlags) =>
      withClient(context, flags, async (client) => print(context, await client.getTask(id))),
  );
  withClientOptions(
    program.command('graph').argument('<id>').description('print a task graph with its tasks'),
  ).action((id: string, flags: ClientFlags) =>
    withClient(context, flags, async (client) => print(context, await client.getGraph(id))),
  );
  withClientOptions(program.command('workers').description('list live workers')).action(
    (flags: ClientFlags) =>
      withClient(context, flags, async (client) => print(context, await client.listWorkers())),
  );
}

function registerApprovalCommands(program: Command, context: CliContext): void {
  const approvals = program
    .command('approvals')
    .description('plans and risky tasks waiting for approval: list, inspect, vote');
  withClientOptions(approvals.command('list').description('list pending approval requests'))
    .option('--agent <agent>', 'only the requests of this agent (id or name)')
    .option('--type <type>', 'only `plan` or `risky_task` requests')
    .action((flags: ClientFlags & { agent?: string; type?: 'plan' | 'risky_task' }) =>
      withClient(context, flags, async (client) =>
        print(
          context,
          await client.listPendingApprovals({
            ...(flags.agent === undefined ? {} : { agent_id: await resolveAgentId(client, flags.agent) }),
            ...(flags.type === undefined ? {} : { request_type: flags.type }),
          }),
        ),
      ),
    );
  withClientOptions(
    approvals.command('get').argument('<id>').description('print a request with its votes and audit trail'),
  ).action((id: string, flags: ClientFlags) =>
    withClient(context, flags, async (client) => print(context, await client.getApproval(id))),
  );
  for (const decision of ['approve', 'deny'] as const)
    withClientOptions(
      approvals
        .command(decision)
        .argument('<id>')
        .description(decision === 'approve' ? 'vote to approve a request' : 'deny a request (final)'),
    )
      .option('--reason <text>', 'why (kept in the audit trail)')
      .action((id: string, flags: ClientFlags & { reason?: string }) =>
        withClient(context, flags, async (client) =>
          print(
            context,
            await client.decideApproval(id, {
              decision,
              ...(flags.reason === undefined ? {} : { reason: flags.reason }),
            }),
          ),
        ),
      );
}

function registerEventsCommand(program: Command, context: CliContext): void {
  withClientOptions(
    program
      .command('events')
      .description(
        'print events, one JSON object a line: with --goal its history, then live until it ends; otherwise live',
      ),
  )
    .option('--goal <id>', "only this goal's events: its history first, and stop when it ends")
    .option('--agent <agent>', 'only the events of this agent (id or name)')
    .option('--after <eventId>', 'replay the log after this event id first', (value) =>
      Number.parseInt(value, 10),
    )
    .action((flags: ClientFlags & { goal?: string; agent?: string; after?: number }) =>
      withClient(context, flags, async (client) =>
        printEvents(context, client, {
          ...(flags.goal === undefined ? {} : { goalId: flags.goal }),
          ...(flags.agent === undefined ? {} : { agentId: await resolveAgentId(client, flags.agent) }),
          ...(flags.after === undefined ? {} : { afterId: flags.after }),
        }),
      ),
    );
}
