import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORG_ID } from '../../src/services/agents/index.js';
import { type ChatNode, startChatNode, until } from './chat-node.js';

/**
 * The chat's refusals, each with its stable code over REST (and as an `error` frame on the
 * WebSocket), before anything is stored or sent to the provider: the per-session rate limit, the
 * token cap, the message length, an agent that is not chat-capable, and another user's session.
 * Also a turn streamed as Server-Sent Events, the history window's summary of older messages, and
 * the agent's memories recalled into the system prompt, and a closed session's episode.
 */
let chat: ChatNode;
let agentId: string;

beforeAll(async () => {
  chat = await startChatNode({
    chatTokenCap: 50_000,
    chatRateLimit: 3,
    chatMaxMessageLength: 2000,
    chatHistoryMessages: 4,
    memoryEpisodes: 'true',
  });
  agentId = (
    await chat.admin<{ actor_id: string }>('POST', '/agents', { name: 'limits', chat_capable: true })
  ).actor_id;
}, 120_000);

afterAll(async () => {
  await chat?.stop();
});

const openSession = async (token?: string) => {
  const answer = await chat.api<{ id: string }>('POST', '/chat/sessions', { agent_id: agentId }, token);
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body.id;
};
const send = (sessionId: string, content: string, token?: string) =>
  chat.api<{ error?: { code: string; details: Record<string, unknown> }; message?: { content: string } }>(
    'POST',
    `/chat/sessions/${sessionId}/messages`,
    { content },
    token,
  );
const modelCalls = () => chat.server.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

describe('chat limits', () => {
  it('refuses the turn past the rate limit of its session (429), over REST and the WebSocket', async () => {
    const sessionId = await openSession();
    for (let turn = 0; turn < 3; turn++) expect((await send(sessionId, `turn ${turn}`)).status).toBe(200);
    const before = modelCalls();
    const refused = await send(sessionId, 'one too many');
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe('ASTRA_CHAT_RATE_LIMITED');
    expect(refused.body.error?.details.limit).toBe(3);
    const socket = await chat.socket(`/chat/ws?session_id=${sessionId}&access_token=${chat.adminToken}`);
    await socket.next((f) => f.type === 'session');
    socket.send({ type: 'message', content: 'and again' });
    const frame = await socket.next((f) => f.type === 'error');
    expect(frame).toMatchObject({ code: 'ASTRA_CHAT_RATE_LIMITED', upstream_code: 'rate_limited' });
    socket.close();
    expect(modelCalls()).toBe(before);
    // Another session of the same agent is not held by this one's count.
    expect((await send(await openSession(), 'hello')).status).toBe(200);
  });

  it('refuses turns once the session has used its token cap (409), sending nothing', async () => {
    const sessionId = await openSession();
    chat.server.script({ text: 'a costly answer', usage: { inputTokens: 49_990, outputTokens: 20 } });
    expect((await send(sessionId, 'spend it')).status).toBe(200);
    const before = modelCalls();
    const refused = await send(sessionId, 'more');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'ASTRA_CHAT_TOKEN_CAP',
      details: { tokenCap: 50_000, tokensUsed: 50_010 },
    });
    expect(modelCalls()).toBe(before);
  });

  it('refuses a message over the length limit (413) and stores nothing', async () => {
    const sessionId = await openSession();
    const refused = await send(sessionId, 'x'.repeat(2001));
    expect(refused.status).toBe(413);
    expect(refused.body.error?.code).toBe('ASTRA_CHAT_MESSAGE_TOO_LONG');
    const { messages } = await chat.admin<{ messages: unknown[] }>(
      'GET',
      `/chat/sessions/${sessionId}/messages`,
    );
    expect(messages).toEqual([]);
  });

  it('chats only with chat-capable agents (409)', async () => {
    const { actor_id: mute } = await chat.admin<{ actor_id: string }>('POST', '/agents', { name: 'mute' });
    const refused = await chat.api<{ error: { code: string } }>('POST', '/chat/sessions', { agent_id: mute });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('ASTRA_CHAT_NOT_CAPABLE');
    // An agent that stops being chat-capable takes no more turns in its open sessions.
    const { actor_id: fickle } = await chat.admin<{ actor_id: string }>('POST', '/agents', {
      name: 'fickle',
      chat_capable: true,
    });
    const session = await chat.admin<{ id: string }>('POST', '/chat/sessions', { agent_id: fickle });
    await chat.admin('PATCH', `/agents/${fickle}`, { chat_capable: false });
    const turn = await send(session.id, 'still there?');
    expect(turn.status).toBe(409);
    expect(turn.body.error?.code).toBe('ASTRA_CHAT_NOT_CAPABLE');
  });

  it("hides another user's session (404), though that user may chat with the agent", async () => {
    const mine = await openSession();
    const email = 'other-chatter@example.test';
    const password = 'pw-other-chatter-1234';
    const user = await chat.admin<{ id: string }>('POST', '/users', {
      email,
      password,
      display_name: 'other',
    });
    // A member of the agent's organization: the agent is public there, so they may use it.
    await chat.admin('POST', `/orgs/${DEFAULT_ORG_ID}/members`, { user_id: user.id, role: 'org_member' });
    const login = await fetch(`${chat.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const { token } = (await login.json()) as { token: string };
    const theirs = await openSession(token);
    for (const [method, target, body] of [
      ['GET', `/chat/sessions/${mine}`, undefined],
      ['GET', `/chat/sessions/${mine}/messages`, undefined],
      ['POST', `/chat/sessions/${mine}/messages`, { content: 'hi' }],
      ['DELETE', `/chat/sessions/${mine}`, undefined],
    ] as const) {
      const answer = await chat.api<{ error: { code: string } }>(method, target, body, token);
      expect([target, answer.status, answer.body.error?.code]).toEqual([target, 404, 'ASTRA_NOT_FOUND']);
    }
    const listed = await chat.api<{ sessions: { id: string }[] }>('GET', '/chat/sessions', undefined, token);
    expect(listed.body.sessions.map((s) => s.id)).toEqual([theirs]);
    const socket = await chat.socket(`/chat/ws?session_id=${mine}&token=${token}`);
    const frame = await socket.next((f) => f.type === 'error');
    expect(frame).toMatchObject({ code: 'ASTRA_NOT_FOUND', upstream_code: 'not_found' });
    expect((await socket.closed).code).toBe(4404);
  });
});

describe('a turn over REST', () => {
  it('streams its frames as Server-Sent Events when asked', async () => {
    const sessionId = await openSession();
    chat.server.script({ text: ['Hello ', 'there.'], usage: { inputTokens: 30, outputTokens: 2 } });
    const response = await fetch(`${chat.url}/chat/sessions/${sessionId}/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${chat.adminToken}`,
        'content-type': 'application/json',
        accept: 'text/event-stream',
      },
      body: JSON.stringify({ content: 'Say hello.' }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const frames = text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
    expect(frames.map((f) => f.type)).toEqual(['message_start', 'chunk', 'chunk', 'message_end', 'done']);
    expect(frames.filter((f) => f.type === 'chunk').map((f) => f.content)).toEqual(['Hello ', 'there.']);
    expect(frames[3]).toMatchObject({ usage: { tokens_in: 30, tokens_out: 2 }, status: 'complete' });
  });

  it("recalls the agent's memories relevant to the message into the system prompt, with provenance", async () => {
    const written = await chat.api<{ memory: { id: string } }>('POST', `/agents/${agentId}/memories`, {
      content: 'The staging database is called heron.',
    });
    expect(written.status, JSON.stringify(written.body)).toBe(201);
    const sessionId = await openSession();
    const before = chat.server.requests.length;
    chat.server.script({ text: 'It is heron.' });
    expect((await send(sessionId, 'What is the staging database called?')).body.message?.content).toBe(
      'It is heron.',
    );
    const [turn] = chat.server.requests.slice(before).filter((r) => r.path.endsWith('/chat/completions'));
    const system = ((turn?.body?.messages ?? []) as { role: string; content: string }[]).find(
      (m) => m.role === 'system',
    );
    expect(system?.content).toContain('The staging database is called heron.');
    expect(system?.content).toContain(written.body.memory.id);
  });

  it('summarizes what falls out of the history window, and the model sees the summary', async () => {
    const sessionId = await openSession();
    chat.server.script({ text: 'Noted: blue.' }, { text: 'Noted: Oslo.' });
    expect((await send(sessionId, 'My favourite colour is blue.')).status).toBe(200);
    expect((await send(sessionId, 'I live in Oslo.')).status).toBe(200);
    const before = chat.server.requests.length;
    chat.server.script(
      { text: 'The user likes blue and lives in Oslo.', usage: { inputTokens: 60, outputTokens: 9 } },
      { text: 'Blue.' },
    );
    expect((await send(sessionId, 'What colour do I like?')).body.message?.content).toBe('Blue.');
    const [summaryCall, turnCall] = chat.server.requests
      .slice(before)
      .filter((r) => r.path.endsWith('/chat/completions'))
      .map((r) => JSON.stringify(r.body));
    // The window holds four messages: the first user message is the one folded into the summary.
    expect(summaryCall).toContain('Messages to add');
    expect(summaryCall).toContain('My favourite colour is blue.');
    expect(summaryCall).not.toContain('I live in Oslo.');
    expect(turnCall).toContain('The user likes blue and lives in Oslo.');
    const session = await chat.admin<{ summary: string }>('GET', `/chat/sessions/${sessionId}`);
    expect(session.summary).toBe('The user likes blue and lives in Oslo.');
  });

  // Last in the file: the episode's background summary call must not land in another test's count.
  it('hands a closed session to episodic memory: one episode of the chat, from its messages', async () => {
    const sessionId = await openSession();
    chat.server.script({ text: 'Kept in mind.' });
    expect((await send(sessionId, 'Remember that the demo is on Friday.')).status).toBe(200);
    chat.server.script({ text: 'The user said the demo is on Friday.' });
    expect((await chat.api('DELETE', `/chat/sessions/${sessionId}`)).status).toBe(200);
    const episode = await until(async () => {
      const { rows } = await chat.node.backends.store.query<{ summary: string; agent_id: string }>(
        `SELECT summary, agent_id FROM memory_episodes WHERE source_kind = 'chat' AND source_id = $1`,
        [sessionId],
      );
      return rows[0];
    }, "the chat's episode written");
    expect(episode).toEqual({ summary: 'The user said the demo is on Friday.', agent_id: agentId });
    const summaryCall = chat.server.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1);
    expect(JSON.stringify(summaryCall?.body)).toContain('Remember that the demo is on Friday.');
  });
});
