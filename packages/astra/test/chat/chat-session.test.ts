import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES } from '../../src/services/access/policies.js';
import { readCounters, utcDay } from '../../src/services/cost/index.js';
import { deferred } from '../support/waiting.js';
import { type ChatNode, type Frame, startChatNode, until } from './chat-node.js';

/**
 * Issue 12's chat "done when", on a real node with the OpenAI protocol server as its provider:
 * - a WebSocket turn streams the provider's chunks as they arrive (the server holds its stream
 *   after the first chunk until the test has seen it as a frame);
 * - the model's tool call, held by a Cedar `@require_approval` policy, shows as a waiting
 *   `tool_result` with the approval's id; approved through the approvals API, the tool task runs
 *   on the executor, its result goes back to the model, whose final answer streams; `message_end`
 *   carries the turn's usage, the message stores it, and the cost service settled it (llm_usage
 *   rows for purpose `chat`, the agent's budget line used and nothing left reserved);
 * - a cancel mid-stream closes the provider's connection (the server sees it), the message is
 *   stored `cancelled`, and its attempt's usage is settled too.
 */
let chat: ChatNode;
let agentId: string;

const APPROVE_JS_EVAL = `${DEFAULT_POLICIES}
@id("chat-js-eval-approval")
@require_approval
permit (principal is Astra::Agent, action == Astra::Action::"tool.call", resource is Astra::Tool)
when { resource.name == "js_eval" };
`;

beforeAll(async () => {
  chat = await startChatNode({
    chatTokenCap: 50_000,
    chatRateLimit: 3,
    chatMaxMessageLength: 2000,
    chatHistoryMessages: 4,
  });
  agentId = (
    await chat.admin<{ actor_id: string }>('POST', '/agents', { name: 'talker', chat_capable: true })
  ).actor_id;
  await chat.admin('PATCH', `/agents/${agentId}/platform`, { allowed_tools: ['js_eval'] });
  const { version } = await chat.admin<{ version: number }>('POST', '/policies', {
    policies: APPROVE_JS_EVAL,
    description: 'js_eval needs approval',
  });
  await chat.admin('POST', `/policies/${version}/activate`);
}, 120_000);

afterAll(async () => {
  await chat?.stop();
});

const openSession = async () =>
  chat.admin<{ id: string; websocket_url: string }>('POST', '/chat/sessions', {
    agent_id: agentId,
    title: 't',
  });

const usageRows = (purpose: string) =>
  chat.node.backends.store
    .query<{ tokens_in: number; tokens_out: number; outcome: string }>(
      `SELECT tokens_in, tokens_out, outcome FROM llm_usage WHERE agent_id = $1 AND purpose = $2 ORDER BY created_at`,
      [agentId, purpose],
    )
    .then((result) => result.rows);

describe('a chat session over the WebSocket', () => {
  it('streams, waits for a tool approval, resumes, answers, and settles its usage', async () => {
    const session = await openSession();
    expect(session.websocket_url).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/chat/ws\\?session_id=${session.id}$`),
    );
    const firstChunkSeen = deferred();
    chat.server.script(
      {
        toolCalls: [{ id: 'call_js', name: 'js_eval', arguments: ['{"code":', ' "6 * 7"}'] }],
        usage: { inputTokens: 300, outputTokens: 20 },
      },
      {
        text: ['Six times seven ', 'is 42.'],
        usage: { inputTokens: 340, outputTokens: 9 },
        holdAfterFirstChunk: firstChunkSeen.promise,
      },
    );
    const socket = await chat.socket(`/chat/ws?session_id=${session.id}&token=${chat.adminToken}`);
    const opened = await socket.next((f) => f.type === 'session');
    expect(opened).toMatchObject({ session_id: session.id, agent_id: agentId, status: 'active' });
    socket.send({ type: 'ping' });
    await socket.next((f) => f.type === 'pong');
    socket.send({ type: 'message', content: 'What is six times seven?' });

    const waiting = await socket.next((f) => f.type === 'tool_result' && f.status === 'waiting_approval');
    expect(waiting).toMatchObject({ call_id: 'call_js', done: false });
    const approvalId = waiting.approval_id as string;
    expect(approvalId).toMatch(/^[0-9a-f-]{36}$/);
    // Nothing ran yet: the approval is pending and names the policy.
    const pending = await chat.admin<{ status: string; action_summary: string }>(
      'GET',
      `/approvals/${approvalId}`,
    );
    expect(pending.status).toBe('pending');
    expect(pending.action_summary).toContain('chat-js-eval-approval');
    expect(socket.frames.some((f) => f.type === 'tool_result' && f.done === true)).toBe(false);
    await chat.admin('POST', `/approvals/${approvalId}/approve`, { reason: 'fine' });

    const result = await socket.next((f) => f.type === 'tool_result' && f.done === true);
    expect(result).toMatchObject({ call_id: 'call_js', status: 'completed', result: { value: 42 } });
    await socket.next((f) => f.type === 'chunk');
    // The first chunk arrived while the provider still held the rest of its stream.
    expect(socket.frames.filter((f) => f.type === 'chunk').map((f) => f.content)).toEqual([
      'Six times seven ',
    ]);
    firstChunkSeen.resolve();
    const end = await socket.next((f) => f.type === 'message_end');
    await socket.next((f) => f.type === 'done');
    socket.close();

    const types = socket.frames.map((f) => f.type);
    expect(types).toEqual([
      'session',
      'pong',
      'message_start',
      'tool_call',
      'tool_result',
      'tool_result',
      'chunk',
      'chunk',
      'message_end',
      'done',
    ]);
    const messageId = (socket.frames[2] as Frame).message_id;
    expect(socket.frames.slice(2).every((f) => f.message_id === messageId)).toBe(true);
    expect(socket.frames[3]).toMatchObject({ name: 'js_eval', arguments: '{"code": "6 * 7"}' });
    expect(end).toMatchObject({
      status: 'complete',
      usage: { tokens_in: 640, tokens_out: 29, estimated: false },
      model: 'openai/gpt-4o-mini',
    });
    // The tool's result went back to the model as a tool message answering its call.
    const second = chat.server.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1);
    const toolMessage = (
      (second?.body?.messages ?? []) as { role: string; tool_call_id?: string; content?: string }[]
    ).find((m) => m.role === 'tool');
    expect(toolMessage).toMatchObject({ tool_call_id: 'call_js' });
    expect(JSON.parse(toolMessage?.content ?? '{}')).toMatchObject({ value: 42 });

    const { messages } = await chat.admin<{ messages: Record<string, unknown>[] }>(
      'GET',
      `/chat/sessions/${session.id}/messages`,
    );
    expect(messages.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect(messages[1]).toMatchObject({
      id: messageId,
      content: 'Six times seven is 42.',
      tokens_in: 640,
      tokens_out: 29,
      tool_calls: [{ id: 'call_js', name: 'js_eval' }],
    });
    const got = await chat.admin<{ tokens_used: number }>('GET', `/chat/sessions/${session.id}`);
    expect(got.tokens_used).toBe(669);

    // Settled in the cost service: both attempts recorded, the agent's day line used, nothing held.
    const rows = await until(async () => {
      const found = await usageRows('chat');
      return found.length >= 2 ? found : undefined;
    }, 'the usage of both calls recorded');
    expect(rows.map((r) => [r.tokens_in, r.tokens_out, r.outcome])).toEqual([
      [300, 20, 'ok'],
      [340, 9, 'ok'],
    ]);
    const [line] = await readCounters(chat.node.backends.store, [
      { kind: 'agent', id: agentId, period: utcDay(new Date()) },
    ]);
    expect(line?.usedTokens).toBe(669);
    expect(line?.reservedTokens).toBe(0);
  }, 60_000);

  it('cancels mid-stream: the provider connection closes, the message is cancelled, its usage settled', async () => {
    const session = await openSession();
    const providerGone = deferred();
    const never = deferred();
    chat.server.script({
      text: ['Once upon ', 'a time ', 'there was'],
      holdAfterFirstChunk: never.promise,
      onClientGone: providerGone.resolve,
    });
    const socket = await chat.socket(`/chat/ws?session_id=${session.id}`, {
      authorization: `Bearer ${chat.adminToken}`,
    });
    await socket.next((f) => f.type === 'session');
    socket.send({ type: 'message', content: 'Tell me a long story.' });
    const chunk = await socket.next((f) => f.type === 'chunk');
    expect(chunk.content).toBe('Once upon ');
    socket.send({ type: 'cancel' });
    await providerGone.promise;
    const end = await socket.next((f) => f.type === 'message_end');
    await socket.next((f) => f.type === 'done');
    never.resolve();
    socket.close();
    expect(end).toMatchObject({ status: 'cancelled', usage: { estimated: true } });
    const usage = end.usage as { tokens_in: number; tokens_out: number };
    expect(usage.tokens_in).toBeGreaterThan(0);
    expect(usage.tokens_out).toBeGreaterThan(0);
    const { messages } = await chat.admin<{ messages: Record<string, unknown>[] }>(
      'GET',
      `/chat/sessions/${session.id}/messages`,
    );
    expect(messages[1]).toMatchObject({
      status: 'cancelled',
      content: 'Once upon ',
      tokens_in: usage.tokens_in,
      tokens_out: usage.tokens_out,
    });
    const aborted = await until(async () => {
      const found = (await usageRows('chat')).filter((r) => r.outcome !== 'ok');
      return found.length > 0 ? found : undefined;
    }, 'the aborted attempt recorded');
    expect(aborted.map((r) => [r.tokens_in, r.tokens_out, r.outcome])).toEqual([
      [usage.tokens_in, usage.tokens_out, 'aborted'],
    ]);
    const [line] = await readCounters(chat.node.backends.store, [
      { kind: 'agent', id: agentId, period: utcDay(new Date()) },
    ]);
    expect(line?.reservedTokens).toBe(0);
  }, 60_000);
});
