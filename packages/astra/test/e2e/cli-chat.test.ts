import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES } from '../../src/services/access/policies.js';
import { type ChatNode, startChatNode } from '../chat/chat-node.js';
import { deferred } from '../support/waiting.js';
import { type AstraProcess, runAstra } from './astra-process.js';

/**
 * `astra chat <agent>` as a user runs it (the real binary) against a real node whose provider is
 * the OpenAI protocol server: the answer streams to the terminal, a tool call that waits for
 * approval prints the approval's id, and once it is approved through the API the tool's result and
 * the model's answer follow with the turn's usage; Ctrl-C (SIGINT) cancels the running turn — the
 * provider's connection closes — and the command fails with ASTRA_LLM_CANCELLED.
 */
let chat: ChatNode;

beforeAll(async () => {
  chat = await startChatNode({});
  const { actor_id: agentId } = await chat.admin<{ actor_id: string }>('POST', '/agents', {
    name: 'cli-talker',
    chat_capable: true,
  });
  await chat.admin('PATCH', `/agents/${agentId}/platform`, { allowed_tools: ['js_eval'] });
  const { version } = await chat.admin<{ version: number }>('POST', '/policies', {
    policies: `${DEFAULT_POLICIES}
@id("cli-chat-approval")
@require_approval
permit (principal is Astra::Agent, action == Astra::Action::"tool.call", resource is Astra::Tool)
when { resource.name == "js_eval" };
`,
  });
  await chat.admin('POST', `/policies/${version}/activate`);
}, 120_000);

afterAll(async () => {
  await chat?.stop();
});

const astraChat = (message: string): AstraProcess =>
  runAstra(['chat', 'cli-talker', '--message', message, '--url', chat.url, '--token', chat.adminToken]);

describe('astra chat', () => {
  it('streams the answer, waits on a tool approval with its id, and goes on once approved', async () => {
    chat.server.script(
      { toolCalls: [{ id: 'call_cli', name: 'js_eval', arguments: '{"code": "6 * 7"}' }] },
      { text: ['Six times seven ', 'is 42.'], usage: { inputTokens: 50, outputTokens: 6 } },
    );
    const cli = astraChat('What is six times seven?');
    const waiting = await cli.waitForLine(/^\[waiting for approval /);
    const approvalId = /approval ([0-9a-f-]{36}):/.exec(waiting)?.[1] as string;
    expect(waiting).toBe(`[waiting for approval ${approvalId}: astra approvals approve ${approvalId}]`);
    await chat.admin('POST', `/approvals/${approvalId}/approve`, {});
    expect(await cli.exited, cli.stderr.join('\n')).toBe(0);
    expect(cli.stdout).toEqual([
      '[tool js_eval {"code": "6 * 7"}]',
      waiting,
      '[js_eval → {"value":42,"console":""}]',
      'Six times seven is 42.',
      expect.stringMatching(/^\[complete: \d+ tokens in, \d+ out, openai\/gpt-4o-mini\]$/),
    ]);
    expect(cli.stderr.join('\n')).toMatch(/astra: chat session [0-9a-f-]{36}/);
  }, 60_000);

  it('cancels the running turn on Ctrl-C: the provider stream closes and the command fails', async () => {
    const providerGone = deferred();
    const never = deferred();
    chat.server.script({
      text: ['Once ', 'upon ', 'a time'],
      holdAfterFirstChunk: never.promise,
      onClientGone: providerGone.resolve,
    });
    const before = chat.server.requests.length;
    const cli = astraChat('Tell me a long story.');
    await chat.server.whenRequests(before + 1);
    cli.child.kill('SIGINT');
    await providerGone.promise;
    never.resolve();
    expect(await cli.exited).toBe(1);
    expect(cli.stderr.join('\n')).toContain('ASTRA_LLM_CANCELLED');
    expect(cli.stdout.at(-1)).toMatch(/^\[cancelled: \d+ tokens in, \d+ out \(estimated\)/);
  }, 60_000);
});
