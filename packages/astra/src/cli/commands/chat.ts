import { createInterface } from 'node:readline/promises';
import type { AstraClient, ChatConnection, ChatFrame, ChatWebSocket } from '@astra/sdk';
import type { Command } from 'commander';
import WebSocket from 'ws';
import { AstraError, isErrorCode } from '../../errors/index.js';
import { resolveAgentId } from './agent-ref.js';
import { type ClientFlags, withClient, withClientOptions } from './connection.js';
import type { CliContext } from './context.js';

/**
 * `astra chat <agent>`: a chat session in the terminal (docs/chat.md). Opens a session (or
 * continues `--session`), connects its WebSocket (the `ws` package: Node 20 has no global one) and
 * sends each line read from standard input as a turn — or only `--message`, then exits. The
 * model's text is printed as it streams; tool calls, their results and approvals they wait for are
 * lines in brackets (`[waiting for approval <id>: astra approvals approve <id>]`: the turn goes on
 * once someone decides it); usage follows each answer. Ctrl-C cancels the running turn (with
 * `--message` the command then fails with ASTRA_LLM_CANCELLED); with no turn running it ends the
 * chat, as does the end of input.
 */
type ChatFlags = ClientFlags & { session?: string; title?: string; message?: string };

const wsFactory = (url: string, headers: Readonly<Record<string, string>>): ChatWebSocket =>
  new WebSocket(url, { headers: { ...headers } }) as unknown as ChatWebSocket;

export function registerChatCommand(program: Command, context: CliContext): void {
  withClientOptions(
    program
      .command('chat')
      .argument('<agent>', 'the agent (id or name); it must be chat-capable')
      .description(
        'chat with an agent: streams its answers, shows tool calls and approvals; Ctrl-C cancels a turn',
      ),
  )
    .option('--session <id>', 'continue this session of yours instead of opening a new one')
    .option('--title <title>', "the new session's title")
    .option('--message <text>', 'send this one message, print the answer and exit')
    .action((agent: string, flags: ChatFlags) =>
      withClient(context, flags, (client) => chat(context, client, agent, flags)),
    );
}

async function chat(
  context: CliContext,
  client: AstraClient,
  agent: string,
  flags: ChatFlags,
): Promise<void> {
  const agentId = await resolveAgentId(client, agent);
  const session =
    flags.session === undefined
      ? await client.openChatSession({
          agent_id: agentId,
          ...(flags.title === undefined ? {} : { title: flags.title }),
        })
      : await client.getChatSession(flags.session);
  const connection = await client.connectChatSession(session.id, { webSocket: wsFactory });
  context.output.err(`astra: chat session ${session.id} (Ctrl-C cancels a turn; Ctrl-D or Ctrl-C ends)`);
  const interrupts = new Interrupts();
  process.on('SIGINT', interrupts.fire);
  try {
    if (flags.message !== undefined) {
      const ended = await runTurn(context, connection, flags.message, interrupts);
      if (ended.status === 'cancelled')
        throw new AstraError('ASTRA_LLM_CANCELLED', 'the turn was cancelled (Ctrl-C)');
      if (ended.error !== null) throw ended.error;
      return;
    }
    await converse(context, connection, interrupts);
  } finally {
    process.off('SIGINT', interrupts.fire);
    connection.close();
  }
}

/** Ctrl-C: cancels the running turn when there is one, else ends the chat. */
class Interrupts {
  onInterrupt: (() => void) | null = null;
  readonly fire = (): void => this.onInterrupt?.();
}

async function converse(
  context: CliContext,
  connection: ChatConnection,
  interrupts: Interrupts,
): Promise<void> {
  const lines = createInterface({ input: process.stdin, terminal: process.stdin.isTTY === true });
  const ended = new Promise<void>((resolve) => {
    lines.once('close', resolve);
    interrupts.onInterrupt = () => lines.close();
  });
  lines.on('SIGINT', interrupts.fire);
  const input = lines[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (process.stdin.isTTY === true) context.output.write?.('you> ');
      const next = await Promise.race([input.next(), ended.then(() => ({ done: true as const, value: '' }))]);
      if (next.done === true) return;
      const text = next.value.trim();
      if (text.length === 0) continue;
      const turn = await runTurn(context, connection, text, interrupts);
      if (turn.error !== null) context.output.err(`astra: ${turn.error.code}: ${turn.error.message}`);
      interrupts.onInterrupt = () => lines.close();
    }
  } finally {
    lines.close();
  }
}

interface TurnEnd {
  readonly status: 'complete' | 'cancelled' | 'failed' | 'refused';
  readonly error: AstraError | null;
}

const asError = (frame: Extract<ChatFrame, { type: 'error' }>): AstraError =>
  isErrorCode(frame.code)
    ? new AstraError(frame.code, frame.message)
    : new AstraError('ASTRA_INTERNAL', `${frame.code}: ${frame.message}`);

async function runTurn(
  context: CliContext,
  connection: ChatConnection,
  content: string,
  interrupts: Interrupts,
): Promise<TurnEnd> {
  const { output } = context;
  const write = output.write ?? ((text: string) => output.out(text));
  let midLine = false;
  const line = (text: string): void => {
    if (midLine) write('\n');
    midLine = false;
    output.out(text);
  };
  interrupts.onInterrupt = () => connection.cancel();
  const names = new Map<string, string>();
  let status: TurnEnd['status'] = 'refused';
  let error: AstraError | null = null;
  for await (const frame of connection.turn(content)) {
    switch (frame.type) {
      case 'chunk':
        write(frame.content);
        midLine = !frame.content.endsWith('\n');
        break;
      case 'tool_call':
        names.set(frame.call_id, frame.name);
        line(`[tool ${frame.name} ${frame.arguments}]`);
        break;
      case 'tool_result': {
        const name = names.get(frame.call_id) ?? frame.call_id;
        if (frame.status === 'waiting_approval')
          line(
            frame.approval_id === null || frame.approval_id === undefined
              ? `[${name} waits for approval]`
              : `[waiting for approval ${frame.approval_id}: astra approvals approve ${frame.approval_id}]`,
          );
        else if (frame.status === 'completed')
          line(`[${name} → ${JSON.stringify(frame.result ?? null).slice(0, 500)}]`);
        else line(`[${name} failed: ${frame.error?.code ?? ''} ${frame.error?.message ?? ''}]`);
        break;
      }
      case 'message_end':
        status = frame.status;
        line(
          `[${frame.status}: ${frame.usage.tokens_in} tokens in, ${frame.usage.tokens_out} out${frame.usage.estimated ? ' (estimated)' : ''}${frame.model === null ? '' : `, ${frame.model}`}]`,
        );
        break;
      case 'error':
        error = asError(frame);
        if (status === 'refused') break;
        line(`[error ${frame.code}: ${frame.message}]`);
        break;
      default:
        break;
    }
  }
  interrupts.onInterrupt = null;
  return { status, error };
}
