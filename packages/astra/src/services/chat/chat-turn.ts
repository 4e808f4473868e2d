import { randomUUID } from 'node:crypto';
import { AstraError, normalizeError } from '../../errors/index.js';
import type { LlmClient, LlmMessage, LlmToolCall } from '../../ports/llm.js';
import type { JsonValue } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Principal } from '../identity/index.js';
import { assembleContext, type MemoryRecall } from '../prompts/index.js';
import type { ChatSettings } from './chat-defaults.js';
import { type ChatMessage, type ChatMessageStatus, type ChatSession, insertMessage } from './chat-store.js';
import type { ChatToolOffer, ChatTools } from './chat-tools.js';
import { type ChatFrame, type ChatUsage, upstreamCodeOf } from './frames.js';
import { historyOf, type StoredToolCall, type StoredToolResult } from './history.js';

/**
 * One turn of a chat: the user's message stored, then the loop (state machine):
 *
 *   calling model ──(text only)──────────────────────────────▶ answered
 *        │ (tool calls)
 *        ▼
 *   running tools (each through ChatTools; one that waits for approval reports it and the turn
 *        │         waits with it) ──(results fed back)──▶ calling model (at most maxSteps calls;
 *        │                                                the last one may not call tools)
 *   any state ──(signal aborted)──▶ cancelled;  ──(a failure)──▶ failed
 *
 * The model is called through the router with real streaming (`onEvent`): each text delta is a
 * `chunk` frame as it arrives. The signal goes into every call, so a cancel aborts the provider's
 * stream; the router settles what the attempt used (budgets and usage, services/cost) and its
 * error carries the tokens, which the message records. Whatever the end, the assistant's message
 * is stored with its text, tool calls and results, tokens and status, and `message_end` and
 * `done` are sent.
 */
export interface ChatTurnDeps {
  readonly store: SqlExecutor;
  readonly llm: Pick<LlmClient, 'complete'>;
  readonly tools?: ChatTools;
  readonly memories?: MemoryRecall;
  readonly settings: ChatSettings;
}

export interface TurnRequest {
  readonly principal: Principal;
  readonly session: ChatSession;
  readonly agent: { readonly id: string; readonly orgId: string; readonly config: Record<string, unknown> };
  readonly content: string;
  readonly signal: AbortSignal;
  readonly emit: (frame: ChatFrame) => void;
}

export interface TurnOutcome {
  readonly message: ChatMessage;
  readonly usage: ChatUsage;
  readonly error: AstraError | null;
}

interface Tally {
  tokensIn: number;
  tokensOut: number;
  estimated: boolean;
  model: string | null;
  text: string;
  calls: StoredToolCall[];
  results: StoredToolResult[];
}

export async function runTurn(deps: ChatTurnDeps, request: TurnRequest): Promise<TurnOutcome> {
  const { session, signal, emit } = request;
  await insertMessage(deps.store, { sessionId: session.id, role: 'user', content: request.content });
  const messageId = randomUUID();
  emit({ type: 'message_start', message_id: messageId, session_id: session.id });
  const tally: Tally = {
    tokensIn: 0,
    tokensOut: 0,
    estimated: false,
    model: null,
    text: '',
    calls: [],
    results: [],
  };
  let status: ChatMessageStatus = 'complete';
  let failure: AstraError | null = null;
  try {
    await converse(deps, request, messageId, tally);
  } catch (error) {
    const astra = normalizeError(error);
    const details = astra.details as { inputTokens?: unknown; outputTokens?: unknown };
    // What a failed or aborted call used is in its error (services/llm/call-failure.ts).
    if (typeof details.inputTokens === 'number') tally.tokensIn += details.inputTokens;
    if (typeof details.outputTokens === 'number') tally.tokensOut += details.outputTokens;
    if (signal.aborted || astra.code === 'ASTRA_LLM_CANCELLED') {
      status = 'cancelled';
      tally.estimated = true;
    } else {
      status = 'failed';
      failure = astra;
    }
  }
  const message = await insertMessage(deps.store, {
    id: messageId,
    sessionId: session.id,
    role: 'assistant',
    content: tally.text,
    ...(tally.calls.length === 0 ? {} : { toolCalls: tally.calls as unknown as JsonValue }),
    ...(tally.results.length === 0 ? {} : { toolResults: tally.results as unknown as JsonValue }),
    tokensIn: tally.tokensIn,
    tokensOut: tally.tokensOut,
    model: tally.model,
    status,
  });
  const usage: ChatUsage = {
    tokens_in: tally.tokensIn,
    tokens_out: tally.tokensOut,
    estimated: tally.estimated,
  };
  if (failure !== null) emit(errorFrame(failure));
  emit({ type: 'message_end', message_id: messageId, status, usage, model: tally.model });
  emit({ type: 'done', message_id: messageId });
  return { message, usage, error: failure };
}

export function errorFrame(error: AstraError): ChatFrame {
  return {
    type: 'error',
    code: error.code,
    upstream_code: upstreamCodeOf(error.code),
    message: error.message,
    details: error.details as Readonly<Record<string, JsonValue>>,
  };
}

async function systemPrompt(deps: ChatTurnDeps, request: TurnRequest): Promise<string> {
  // The agent's memories relevant to the user's message come in as a section of the context,
  // with their provenance, cut to the same token budget as the documents.
  const context = await assembleContext({
    store: deps.store,
    agentId: request.agent.id,
    tokenBudget: deps.settings.contextTokens,
    ...(deps.memories === undefined ? {} : { memories: deps.memories, query: request.content }),
  });
  return context.system;
}

async function converse(
  deps: ChatTurnDeps,
  request: TurnRequest,
  messageId: string,
  tally: Tally,
): Promise<void> {
  const { session, agent, signal, emit } = request;
  const scope = { orgId: agent.orgId, agentId: agent.id, goalId: null, taskId: null, purpose: 'chat' };
  const history = await historyOf(deps, session, { orgId: agent.orgId, signal });
  const system = await systemPrompt(deps, request);
  const messages: LlmMessage[] = [
    {
      role: 'system',
      content:
        history.summary === null
          ? system
          : `${system}\n\nThe conversation so far, summarized:\n${history.summary}`,
    },
    ...history.messages,
  ];
  const offers = deps.tools === undefined ? [] : await deps.tools.offers(agent.id);
  const byName = new Map(offers.map((offer) => [offer.spec.name, offer]));
  const model =
    typeof agent.config.llm === 'string' && agent.config.llm.length > 0 ? agent.config.llm : undefined;
  for (let step = 0; step < deps.settings.maxSteps; step++) {
    const spent = session.tokensUsed + tally.tokensIn + tally.tokensOut;
    if (spent >= deps.settings.tokenCap) throw tokenCapError(deps.settings.tokenCap, spent);
    const last = step === deps.settings.maxSteps - 1;
    const result = await deps.llm.complete({
      messages,
      ...(model === undefined ? {} : { model }),
      ...(offers.length === 0
        ? {}
        : { tools: offers.map((offer) => offer.spec), toolChoice: last ? 'none' : 'auto' }),
      scope,
      signal,
      onEvent: (event) => {
        if (event.type !== 'text' || event.delta.length === 0) return;
        tally.text += event.delta;
        emit({ type: 'chunk', message_id: messageId, content: event.delta });
      },
    });
    tally.tokensIn += result.usage.inputTokens;
    tally.tokensOut += result.usage.outputTokens;
    tally.estimated ||= result.usage.estimated;
    tally.model = result.model;
    if (result.toolCalls.length === 0 || last) return;
    messages.push({ role: 'assistant', content: result.text, toolCalls: result.toolCalls });
    for (const call of result.toolCalls) {
      const content = await runToolCall(deps, request, messageId, byName, call, tally);
      messages.push({ role: 'tool', toolCallId: call.id, content });
    }
  }
}

export function tokenCapError(cap: number, used: number): AstraError {
  return new AstraError('ASTRA_CHAT_TOKEN_CAP', `this session has used ${used} of its ${cap} tokens`, {
    details: { tokenCap: cap, tokensUsed: used },
  });
}

/** Runs one call the model asked for; answers what the model is told (the result or the error, as JSON). */
async function runToolCall(
  deps: ChatTurnDeps,
  request: TurnRequest,
  messageId: string,
  offers: ReadonlyMap<string, ChatToolOffer>,
  call: LlmToolCall,
  tally: Tally,
): Promise<string> {
  const { emit, signal } = request;
  tally.calls.push({ id: call.id, name: call.name, arguments: call.arguments });
  emit({
    type: 'tool_call',
    message_id: messageId,
    call_id: call.id,
    name: call.name,
    arguments: call.arguments,
  });
  const fail = (code: string, message: string, ids: { taskId: string | null; goalId: string | null }) => {
    emit({
      type: 'tool_result',
      message_id: messageId,
      call_id: call.id,
      done: true,
      status: 'failed',
      error: { code, message },
      task_id: ids.taskId,
      goal_id: ids.goalId,
    });
    const content = JSON.stringify({ error: { code, message } });
    tally.results.push({ call_id: call.id, content });
    return content;
  };
  const offer = offers.get(call.name);
  if (offer === undefined || deps.tools === undefined)
    return fail('ASTRA_TOOL_NOT_FOUND', `no tool ${call.name} is offered to this chat`, {
      taskId: null,
      goalId: null,
    });
  let input: unknown;
  try {
    input = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch {
    return fail('ASTRA_TOOL_INPUT_INVALID', 'the arguments are not JSON', { taskId: null, goalId: null });
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return fail('ASTRA_TOOL_INPUT_INVALID', 'the arguments are not a JSON object', {
      taskId: null,
      goalId: null,
    });
  const outcome = await deps.tools.run({
    principal: request.principal,
    agentId: request.agent.id,
    sessionId: request.session.id,
    tool: offer.tool,
    input: input as Record<string, unknown>,
    signal,
    onWaiting: (wait) =>
      emit({
        type: 'tool_result',
        message_id: messageId,
        call_id: call.id,
        done: false,
        status: 'waiting_approval',
        approval_id: wait.approvalId,
        task_id: wait.taskId,
        goal_id: wait.goalId,
      }),
  });
  if (!outcome.ok) return fail(outcome.error.code, outcome.error.message, outcome);
  emit({
    type: 'tool_result',
    message_id: messageId,
    call_id: call.id,
    done: true,
    status: 'completed',
    result: outcome.result,
    task_id: outcome.taskId,
    goal_id: outcome.goalId,
  });
  const content = JSON.stringify(outcome.result);
  tally.results.push({ call_id: call.id, content });
  return content;
}
