#!/usr/bin/env node
import { AstraClient, Worker } from '@astra/sdk';
import { handlers, tools } from './handlers.mjs';

/**
 * The research agent's worker: runs `research.fetch` and `research.summarize` for the tasks of
 * your organization's agents, and serves the tool `research.page_words` to their `tool` tasks,
 * until SIGTERM or SIGINT, then drains (running tasks finish, or go back to the queue) and exits.
 *
 *   ASTRA_URL=http://127.0.0.1:8080 ASTRA_API_KEY=ak_... node examples/research-agent/worker.mjs
 *
 * ASTRA_API_KEY: a key of a user who may run workers for the organization (an org admin or agent
 * admin; scope `use` or wider). WORKER_CONCURRENCY: tasks at once (default 4).
 */
const client = new AstraClient({ baseUrl: required('ASTRA_URL'), token: required('ASTRA_API_KEY') });
const worker = new Worker({
  client,
  types: handlers,
  name: `research-worker-${process.pid}`,
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 4),
  handleSignals: true,
  onEvent: (event) => {
    switch (event.kind) {
      case 'registered':
      case 'worker_lost':
        console.log(`worker ${event.kind} ${event.workerId}`);
        break;
      case 'stopped':
        console.log(`worker stopped ${event.workerId} (handed back ${event.handedBack})`);
        break;
      case 'failed':
        console.log(
          `task ${event.kind} ${event.task.id} ${event.task.type} attempt ${event.task.attempt}: ${event.error}`,
        );
        break;
      default:
        console.log(`task ${event.kind} ${event.task.id} ${event.task.type} attempt ${event.task.attempt}`);
    }
  },
  onError: (error, context) =>
    console.error(`worker: ${context}: ${error instanceof Error ? error.message : error}`),
});

for (const { spec, handler } of tools) worker.tool(spec, handler);
await worker.start();
// stop() runs on SIGTERM/SIGINT (handleSignals); the process ends when it has drained.

function required(name) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    console.error(`set ${name}`);
    process.exit(2);
  }
  return value;
}
