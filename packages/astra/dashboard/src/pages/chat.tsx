import type { Agent, ChatFrame } from '@astra/sdk';
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { can } from '../access';
import { api } from '../api';
import { sendTurn } from '../chat-turn';
import { useCan, useData } from '../hooks';
import { ErrorText, Loading, PageTitle } from '../ui';

/**
 * The chat widget: a session with a chat-capable agent the user may use (`POST /chat/sessions`),
 * each turn streamed as it happens (chat-turn.ts): the answer's text grows chunk by chunk, tool
 * calls and their results show in place, a call waiting for approval offers Approve and Deny to
 * those who may decide it (`POST /approvals/{id}/approve|deny`), and Cancel hangs up the turn.
 */
type Entry =
  | { readonly kind: 'user'; readonly text: string }
  | { readonly kind: 'assistant'; readonly text: string; readonly end?: string }
  | {
      readonly kind: 'tool';
      readonly callId: string;
      readonly name: string;
      readonly args: string;
      readonly status: 'running' | 'waiting_approval' | 'completed' | 'failed';
      readonly approvalId?: string;
      readonly outcome?: string;
    }
  | { readonly kind: 'error'; readonly text: string };

async function chatAgents(): Promise<Agent[]> {
  const { agents } = await api<{ agents: Agent[] }>('GET', '/agents?limit=1000');
  const usable = await Promise.all(
    agents.map(async (agent) => agent.chat_capable && (await can('agent.use', 'agent', agent.id))),
  );
  return agents.filter((_, i) => usable[i]);
}

/** The transcript after one frame: a pure step, so the view is the fold of the frames. */
export function applyFrame(entries: readonly Entry[], frame: ChatFrame): Entry[] {
  const out = [...entries];
  const last = out.at(-1);
  const assistant = (): Entry & { kind: 'assistant' } => {
    if (last?.kind === 'assistant' && last.end === undefined) return last;
    const fresh = { kind: 'assistant' as const, text: '' };
    out.push(fresh);
    return fresh;
  };
  switch (frame.type) {
    case 'message_start':
      assistant();
      return out;
    case 'chunk': {
      const current = assistant();
      out[out.indexOf(current)] = { ...current, text: current.text + frame.content };
      return out;
    }
    case 'tool_call':
      out.push({
        kind: 'tool',
        callId: frame.call_id,
        name: frame.name,
        args: frame.arguments,
        status: 'running',
      });
      return out;
    case 'tool_result': {
      const at = out.findIndex((entry) => entry.kind === 'tool' && entry.callId === frame.call_id);
      const before = out[at];
      if (before?.kind !== 'tool') return out;
      out[at] = {
        ...before,
        status: frame.status,
        ...(frame.approval_id ? { approvalId: frame.approval_id } : {}),
        ...(frame.done
          ? { outcome: frame.error === undefined ? JSON.stringify(frame.result) : frame.error.message }
          : {}),
      };
      return out;
    }
    case 'message_end': {
      const current = assistant();
      const usage = `${frame.usage.tokens_in} tokens in, ${frame.usage.tokens_out} out${frame.usage.estimated ? ' (estimated)' : ''}`;
      out[out.indexOf(current)] = {
        ...current,
        end: `${frame.status} · ${usage}${frame.model === null ? '' : ` · ${frame.model}`}`,
      };
      return out;
    }
    case 'error':
      out.push({ kind: 'error', text: `${frame.message} (${frame.code})` });
      return out;
    default:
      return out;
  }
}

function Decide({ approvalId }: { approvalId: string }): JSX.Element | null {
  const allowed = useCan('approval.decide', 'approval', approvalId);
  const [problem, setProblem] = useState<Error | undefined>();
  const [sent, setSent] = useState(false);
  if (!allowed) return <span class="muted">Someone who may decide it must approve.</span>;
  const decide = async (verdict: 'approve' | 'deny'): Promise<void> => {
    setSent(true);
    try {
      await api('POST', `/approvals/${approvalId}/${verdict}`, { reason: 'from the chat' });
    } catch (error) {
      setProblem(error as Error);
      setSent(false);
    }
  };
  return (
    <span class="row-actions">
      <button type="button" class="danger" disabled={sent} onClick={() => void decide('deny')}>
        Deny
      </button>
      <button type="button" class="primary" disabled={sent} onClick={() => void decide('approve')}>
        Approve
      </button>
      <ErrorText error={problem} />
    </span>
  );
}

function EntryView({ entry }: { entry: Entry }): JSX.Element | null {
  switch (entry.kind) {
    case 'user':
      return (
        <li class="chat-user">
          <strong>You:</strong> {entry.text}
        </li>
      );
    case 'assistant':
      // A step that only called tools wrote no text: nothing to show for it.
      if (entry.text.length === 0 && entry.end === undefined) return null;
      return (
        <li class="chat-assistant">
          <strong>Agent:</strong> <span class="chat-text">{entry.text}</span>
          {entry.end === undefined ? null : <div class="muted">{entry.end}</div>}
        </li>
      );
    case 'tool':
      return (
        <li class="chat-tool">
          <div>
            Tool <code>{entry.name}</code> <code>{entry.args}</code>: {entry.status.replace(/_/g, ' ')}
          </div>
          {entry.status === 'waiting_approval' && entry.approvalId !== undefined ? (
            <div>
              Waiting for approval <a href={`#/approvals`}>{entry.approvalId.slice(0, 8)}</a>{' '}
              <Decide approvalId={entry.approvalId} />
            </div>
          ) : null}
          {entry.outcome === undefined ? null : <pre class="json">{entry.outcome}</pre>}
        </li>
      );
    case 'error':
      return (
        <li class="error" role="alert">
          {entry.text}
        </li>
      );
  }
}

export function ChatPage(): JSX.Element {
  const { data: agents, error, loading } = useData(chatAgents, []);
  const [agentId, setAgentId] = useState('');
  const [sessionId, setSessionId] = useState<string | undefined>();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [message, setMessage] = useState('');
  const [problem, setProblem] = useState<Error | undefined>();
  const running = useRef<AbortController | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => () => running.current?.abort(), []);
  const chosen = agentId || agents?.[0]?.id || '';
  const start = async (): Promise<void> => {
    setProblem(undefined);
    try {
      const session = await api<{ id: string }>('POST', '/chat/sessions', { agent_id: chosen });
      setSessionId(session.id);
      setEntries([]);
    } catch (failure) {
      setProblem(failure as Error);
    }
  };
  const send = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (sessionId === undefined || busy) return;
    if (message.trim().length === 0) return setProblem(new Error('Write a message first.'));
    setProblem(undefined);
    const controller = new AbortController();
    running.current = controller;
    setBusy(true);
    setEntries((before) => [...before, { kind: 'user', text: message }]);
    setMessage('');
    try {
      await sendTurn(
        sessionId,
        message,
        (frame) => setEntries((before) => applyFrame(before, frame)),
        controller.signal,
      );
    } catch (failure) {
      if (controller.signal.aborted)
        setEntries((before) => [...before, { kind: 'error', text: 'Cancelled: the turn was stopped.' }]);
      else setProblem(failure as Error);
    } finally {
      running.current = null;
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="page-heading">
      <PageTitle title="Chat" />
      <Loading when={loading && agents === undefined} />
      <ErrorText error={error} />
      {agents === undefined ? null : agents.length === 0 ? (
        <p class="muted">No chat-capable agent you may use.</p>
      ) : (
        <div class="chat-start">
          <label>
            Agent
            <select value={chosen} onChange={(e) => setAgentId(e.currentTarget.value)}>
              {agents.map((agent) => (
                <option key={agent.id} value={agent.id}>
                  {agent.name}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void start()} disabled={busy}>
            {sessionId === undefined ? 'Start chat' : 'New chat'}
          </button>
        </div>
      )}
      {sessionId === undefined ? null : (
        <div class="panel chat">
          <div role="log" aria-label="Conversation" aria-live="polite">
            <ol class="chat-log">
              {entries.map((entry, i) => (
                <EntryView key={String(i)} entry={entry} />
              ))}
            </ol>
          </div>
          <form onSubmit={(event) => void send(event)} noValidate>
            <label>
              Message
              <textarea rows={3} value={message} onInput={(e) => setMessage(e.currentTarget.value)} />
            </label>
            <div class="dialog-actions">
              {busy ? (
                <button type="button" class="danger" onClick={() => running.current?.abort()}>
                  Cancel
                </button>
              ) : null}
              <button type="submit" class="primary" disabled={busy}>
                {busy ? 'Answering…' : 'Send'}
              </button>
            </div>
          </form>
        </div>
      )}
      <ErrorText error={problem} />
    </section>
  );
}
