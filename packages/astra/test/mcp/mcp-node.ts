import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningNode, startNode } from '../../src/app/node.js';
import { collectSecretEnv } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/time/clock.js';
import { testNodeConfig } from '../support/node-config.js';

/**
 * A whole embedded node in this process (every role, PGlite in a temporary data dir), for the MCP
 * suites: its real HTTP API, its executor running tool tasks. `goalEnded` waits for the node's own
 * "goal ended" log line of a goal (an event, not a poll). `call` sends JSON over real HTTP.
 */
export interface McpTestNode {
  readonly url: string;
  readonly node: RunningNode;
  readonly adminToken: string;
  call<T = Record<string, unknown>>(
    method: string,
    target: string,
    bearer: string | undefined,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  admin<T = Record<string, unknown>>(method: string, target: string, body?: unknown): Promise<T>;
  goalEnded(goalId: string): Promise<{ status: string }>;
  /** Submits a plan for an agent as the admin; answers the goal's id. */
  submitPlan(agentId: string, tasks: unknown[]): Promise<string>;
  /** A goal's tasks by plan id (`GET /goals/:id/details`), once the goal has ended. */
  endedTasks<T extends { readonly name: string }>(goalId: string): Promise<Map<string, T>>;
  /** The first event of `type` of a goal, read from the live event stream (replayed from the start). */
  goalEvent(goalId: string, type: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** The text parts of an MCP tool task's result (`content`), one a line. */
export const textOf = (task: { readonly result: unknown } | undefined): string =>
  ((task?.result as { content?: { text?: string }[] } | undefined)?.content ?? [])
    .map((part) => part.text ?? '')
    .join('\n');

export async function startMcpNode(options: {
  readonly name: string;
  readonly settings?: Readonly<Record<string, unknown>>;
  /** `ASTRA_SECRET_<NAME>` variables for the node's secrets store. */
  readonly secretEnv?: Readonly<Record<string, string>>;
}): Promise<McpTestNode> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `astra-${options.name}-`));
  const adminToken = `${options.name}-admin-${randomBytes(18).toString('hex')}`;
  const ended = new Map<string, { status: string }>();
  const waiters = new Map<string, (goal: { status: string }) => void>();
  const logger = createLogger({
    level: 'info',
    destination: {
      write: (line: string) => {
        const entry = JSON.parse(line) as { msg?: string; goal_id?: string; status?: string; level?: number };
        if ((entry.level ?? 0) >= 50) process.stderr.write(line);
        if (entry.msg !== 'goal ended' || entry.goal_id === undefined) return;
        const goal = { status: String(entry.status) };
        ended.set(entry.goal_id, goal);
        waiters.get(entry.goal_id)?.(goal);
      },
    },
  });
  const config = testNodeConfig({
    dataDir,
    adminToken,
    adminPassword: `pw-admin-${randomBytes(12).toString('hex')}`,
    keyEncryptionKey: randomBytes(32).toString('hex'),
    adminEmail: `admin@${options.name}.test`,
    checkResponses: 'true',
    ...options.settings,
  });
  const node = await startNode(config, {
    clock: systemClock,
    logger,
    adminToken,
    secretEnv: collectSecretEnv(options.secretEnv ?? {}),
  });
  const url = node.url as string;
  const call = async <T>(method: string, target: string, bearer: string | undefined, body?: unknown) => {
    const response = await fetch(`${url}${target}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
  };
  const admin = async <T>(method: string, target: string, body?: unknown): Promise<T> => {
    const answer = await call<T>(method, target, adminToken, body);
    if (answer.status >= 300)
      throw new Error(`${method} ${target} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const goalEnded = (goalId: string): Promise<{ status: string }> => {
    const known = ended.get(goalId);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve) => waiters.set(goalId, resolve));
  };
  return {
    url,
    node,
    adminToken,
    call,
    admin,
    goalEnded,
    submitPlan: async (agentId, tasks) => {
      const goal = await admin<{ goal_id: string }>('POST', `/agents/${agentId}/goals`, {
        goal_text: 'call MCP tools',
        plan: { tasks },
      });
      return goal.goal_id;
    },
    endedTasks: async <T extends { readonly name: string }>(goalId: string) => {
      await goalEnded(goalId);
      const details = await admin<{ tasks: T[] }>('GET', `/goals/${goalId}/details`);
      return new Map(details.tasks.map((task) => [task.name, task]));
    },
    goalEvent: async (goalId, type) => {
      const controller = new AbortController();
      const response = await fetch(`${url}/events/stream?goal_id=${goalId}&last_event_id=0`, {
        headers: { authorization: `Bearer ${adminToken}` },
        signal: controller.signal,
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the event stream ended before a ${type} event`);
        buffer += decoder.decode(value, { stream: true });
        const messages = buffer.split('\n\n');
        buffer = messages.pop() ?? '';
        for (const message of messages) {
          const data = message.split('\n').find((line) => line.startsWith('data: '));
          const event = data === undefined ? null : (JSON.parse(data.slice(6)) as Record<string, unknown>);
          if (event?.type !== type) continue;
          controller.abort();
          return event;
        }
      }
    },
    stop: async () => {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
