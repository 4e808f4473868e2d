#!/usr/bin/env node
import { AstraClient } from '@astra/sdk';

/**
 * The research agent: creates an agent (or uses AGENT_ID), gives it a goal whose plan fetches each
 * URL and summarizes them — custom task types only a worker of yours runs (worker.mjs) — waits
 * for the goal's end on the live event stream, and prints the summary as one JSON line.
 *
 *   ASTRA_URL=http://127.0.0.1:8080 ASTRA_API_KEY=ak_... node examples/research-agent/agent.mjs URL...
 */
const urls = process.argv.slice(2);
if (urls.length === 0) {
  console.error('usage: agent.mjs URL...');
  process.exit(2);
}
const client = new AstraClient({ baseUrl: required('ASTRA_URL'), token: required('ASTRA_API_KEY') });

const agentId = process.env.AGENT_ID ?? (await client.createAgent({ name: 'research-agent' })).id;
const fetches = urls.map((url, i) => ({
  id: `fetch-${i + 1}`,
  type: 'research.fetch',
  payload: { url },
  timeout_ms: 60_000,
  max_retries: 3,
}));
const { goal_id: goalId } = await client.submitGoal(agentId, {
  goal_text: `What do these pages talk about? ${urls.join(' ')}`,
  plan: {
    tasks: [
      ...fetches,
      {
        id: 'summary',
        type: 'research.summarize',
        payload: { question: 'most used words' },
        depends_on: fetches.map((task) => task.id),
      },
    ],
  },
});
console.log(`goal submitted ${goalId}`);

const ends = new Set(['GoalCompleted', 'GoalFailed', 'GoalCancelled']);
const stop = new AbortController();
for await (const event of client.events({ goalId, afterId: 0, signal: stop.signal }))
  if (ends.has(event.type)) {
    stop.abort();
    break;
  }
const goal = await client.getGoal(goalId);
const graph = await client.getGraph(goal.graph_id);
const summary = graph.tasks.find((task) => task.name === 'summary');
console.log(`goal ${goal.status} ${goalId} ${JSON.stringify(summary?.result ?? null)}`);
process.exitCode = goal.status === 'completed' ? 0 : 1;

function required(name) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    console.error(`set ${name}`);
    process.exit(2);
  }
  return value;
}
