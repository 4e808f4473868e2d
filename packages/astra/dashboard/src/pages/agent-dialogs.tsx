import type { Agent, AgentProfile } from '@astra/sdk';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { forgetAccess } from '../access';
import { api } from '../api';
import { useData } from '../hooks';
import { Dialog, ErrorText, Loading } from '../ui';
import { AgentDocuments, AgentRevisions } from './agent-documents';

const tagsOf = (text: string): string[] =>
  text
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);

/** Create an agent (`POST /agents`) or change one (`PATCH /agents/{id}`): name, tags, system prompt. */
export function AgentDialog(props: {
  agent?: Agent;
  orgId?: string;
  onClose: (changed: boolean) => void;
}): JSX.Element {
  const [name, setName] = useState(props.agent?.name ?? '');
  const [tags, setTags] = useState(props.agent?.tags.join(', ') ?? '');
  const [prompt, setPrompt] = useState(props.agent?.system_prompt ?? '');
  const [problem, setProblem] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (name.trim().length === 0) return setProblem(new Error('The name is required.'));
    setBusy(true);
    const body = {
      name: name.trim(),
      tags: tagsOf(tags),
      system_prompt: prompt.length === 0 ? null : prompt,
    };
    try {
      if (props.agent === undefined) await api('POST', '/agents', { ...body, org_id: props.orgId });
      else await api('PATCH', `/agents/${props.agent.id}`, body);
      forgetAccess();
      props.onClose(true);
    } catch (error) {
      setProblem(error as Error);
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={props.agent === undefined ? 'New agent' : `Edit ${props.agent.name}`}
      onClose={() => props.onClose(false)}
    >
      <form onSubmit={(event) => void save(event)} noValidate>
        <label>
          Name
          <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Tags (comma separated)
          <input value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
        </label>
        <label>
          System prompt
          <textarea rows={4} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
        </label>
        <ErrorText error={problem} />
        <div class="dialog-actions">
          <button type="button" onClick={() => props.onClose(false)}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {props.agent === undefined ? 'Create' : 'Save'}
          </button>
        </div>
      </form>
      {props.agent === undefined ? null : (
        <>
          <AgentDocuments agent={props.agent} />
          <AgentRevisions agent={props.agent} prompt={prompt} />
        </>
      )}
    </Dialog>
  );
}

const numberOrNull = (text: string): number | null => (text.trim().length === 0 ? null : Number(text));

/** The platform settings of an agent (`PATCH /agents/{id}/platform`, for its admins). */
export function PlatformDialog(props: { agent: Agent; onClose: (changed: boolean) => void }): JSX.Element {
  const { data, error } = useData(
    () => api<AgentProfile>('GET', `/agents/${props.agent.id}/profile`),
    [props.agent.id],
  );
  return (
    <Dialog title={`Settings of ${props.agent.name}`} onClose={() => props.onClose(false)}>
      <Loading when={data === undefined && error === undefined} />
      <ErrorText error={error} />
      {data === undefined ? null : <PlatformForm profile={data} onClose={props.onClose} />}
    </Dialog>
  );
}

function PlatformForm(props: { profile: AgentProfile; onClose: (changed: boolean) => void }): JSX.Element {
  const { profile } = props;
  const [drain, setDrain] = useState(profile.drain_mode);
  const [maxGoals, setMaxGoals] = useState(profile.max_concurrent_goals?.toString() ?? '');
  const [budget, setBudget] = useState(profile.daily_token_budget?.toString() ?? '');
  const [priority, setPriority] = useState(String(profile.priority));
  const [tools, setTools] = useState(profile.allowed_tools?.join(', ') ?? '');
  const [problem, setProblem] = useState<Error | undefined>();
  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    const body = {
      drain_mode: drain,
      max_concurrent_goals: numberOrNull(maxGoals),
      daily_token_budget: numberOrNull(budget),
      priority: Number(priority),
      allowed_tools: tools.trim().length === 0 ? null : tagsOf(tools),
    };
    for (const [field, value] of Object.entries(body))
      if (typeof value === 'number' && !Number.isInteger(value))
        return setProblem(new Error(`${field.replace(/_/g, ' ')} must be a whole number.`));
    try {
      await api('PATCH', `/agents/${profile.id}/platform`, body);
      props.onClose(true);
    } catch (error) {
      setProblem(error as Error);
    }
  };
  return (
    <form onSubmit={(event) => void save(event)} noValidate>
      <label class="inline">
        <input type="checkbox" checked={drain} onChange={(e) => setDrain(e.currentTarget.checked)} />
        Drain (admit no new goals)
      </label>
      <label>
        Max concurrent goals (empty: no limit)
        <input inputMode="numeric" value={maxGoals} onInput={(e) => setMaxGoals(e.currentTarget.value)} />
      </label>
      <label>
        Daily token budget (empty: no limit)
        <input inputMode="numeric" value={budget} onInput={(e) => setBudget(e.currentTarget.value)} />
      </label>
      <label>
        Priority
        <input inputMode="numeric" value={priority} onInput={(e) => setPriority(e.currentTarget.value)} />
      </label>
      <label>
        Allowed tools (comma separated; empty: any)
        <input value={tools} onInput={(e) => setTools(e.currentTarget.value)} />
      </label>
      <ErrorText error={problem} />
      <div class="dialog-actions">
        <button type="button" onClick={() => props.onClose(false)}>
          Cancel
        </button>
        <button type="submit" class="primary">
          Save
        </button>
      </div>
    </form>
  );
}
