import type { Agent, AgentDocument, Revision } from '@astra/sdk';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useData } from '../hooks';
import { DataTable, ErrorText, when } from '../ui';

/**
 * The parts of an agent's edit dialog beyond its name and prompt, for those who may edit it:
 * its documents (rules, skills, context documents, references: `GET/POST /agents/{id}/documents`,
 * `DELETE …/{doc_id}`) and its config revisions (`GET/POST /agents/{id}/revisions`,
 * `POST …/{rev}/activate`), the live one marked.
 */
const DOC_TYPES = ['rule', 'skill', 'context_doc', 'reference'] as const;

/** Runs a change, then reloads the list; a refusal is kept to show. */
function useAction(reload: () => void): {
  problem: Error | undefined;
  setProblem: (problem: Error | undefined) => void;
  act: (call: () => Promise<unknown>) => Promise<void>;
} {
  const [problem, setProblem] = useState<Error | undefined>();
  const act = async (call: () => Promise<unknown>): Promise<void> => {
    setProblem(undefined);
    try {
      await call();
      reload();
    } catch (failure) {
      setProblem(failure as Error);
    }
  };
  return { problem, setProblem, act };
}

export function AgentDocuments({ agent }: { agent: Agent }): JSX.Element {
  const { data, error, reload } = useData(
    () => api<{ documents: AgentDocument[] }>('GET', `/agents/${agent.id}/documents`),
    [agent.id],
  );
  const [docType, setDocType] = useState<(typeof DOC_TYPES)[number]>('rule');
  const [name, setName] = useState('');
  const [content, setContent] = useState('');
  const { problem, setProblem, act } = useAction(reload);
  const add = (): Promise<void> => {
    if (name.trim().length === 0 || content.trim().length === 0)
      return Promise.resolve(setProblem(new Error('A document needs a name and its text.')));
    return act(async () => {
      await api('POST', `/agents/${agent.id}/documents`, { doc_type: docType, name: name.trim(), content });
      setName('');
      setContent('');
    });
  };
  return (
    <section aria-labelledby="documents-heading">
      <h3 id="documents-heading">Documents</h3>
      <ErrorText error={error} />
      {data === undefined ? null : (
        <DataTable
          caption="Documents"
          rows={data.documents}
          rowKey={(doc) => doc.id}
          empty="No documents."
          columns={[
            { title: 'Name', cell: (doc) => doc.name },
            { title: 'Type', cell: (doc) => doc.doc_type.replace(/_/g, ' ') },
            { title: 'Text', cell: (doc) => (doc.content ?? doc.uri ?? '').slice(0, 80) },
            {
              title: 'Actions',
              cell: (doc) => (
                <button
                  type="button"
                  onClick={() => void act(() => api('DELETE', `/agents/${agent.id}/documents/${doc.id}`))}
                >
                  Delete <span class="sr-only">{doc.name}</span>
                </button>
              ),
            },
          ]}
        />
      )}
      <div class="two">
        <label>
          Document type
          <select
            value={docType}
            onChange={(e) => setDocType(e.currentTarget.value as (typeof DOC_TYPES)[number])}
          >
            {DOC_TYPES.map((type) => (
              <option key={type} value={type}>
                {type.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Document name
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
      </div>
      <label>
        Document text
        <textarea rows={3} value={content} onInput={(e) => setContent(e.currentTarget.value)} />
      </label>
      <ErrorText error={problem} />
      <div class="dialog-actions">
        <button type="button" onClick={() => void add()}>
          Add document
        </button>
      </div>
    </section>
  );
}

export function AgentRevisions({ agent, prompt }: { agent: Agent; prompt: string }): JSX.Element {
  const { data, error, reload } = useData(
    () => api<{ revisions: Revision[] }>('GET', `/agents/${agent.id}/revisions`),
    [agent.id],
  );
  const { problem, act } = useAction(reload);
  return (
    <section aria-labelledby="revisions-heading">
      <h3 id="revisions-heading">Revisions</h3>
      <ErrorText error={error} />
      {data === undefined ? null : (
        <DataTable
          caption="Revisions"
          rows={data.revisions}
          rowKey={(revision) => revision.id}
          pageSize={5}
          empty="No revisions."
          columns={[
            { title: 'Revision', cell: (revision) => revision.revision },
            { title: 'Created', cell: (revision) => when(revision.created_at) },
            { title: 'By', cell: (revision) => revision.created_by ?? '—' },
            {
              title: 'State',
              cell: (revision) =>
                revision.active ? (
                  <span class="badge s-active">active</span>
                ) : (
                  <button
                    type="button"
                    onClick={() =>
                      void act(() =>
                        api('POST', `/agents/${agent.id}/revisions/${revision.revision}/activate`),
                      )
                    }
                  >
                    Activate <span class="sr-only">revision {revision.revision}</span>
                  </button>
                ),
            },
          ]}
        />
      )}
      <ErrorText error={problem} />
      <div class="dialog-actions">
        <button
          type="button"
          onClick={() =>
            void act(() =>
              api('POST', `/agents/${agent.id}/revisions`, {
                payload: { system_prompt: prompt.length === 0 ? null : prompt },
              }),
            )
          }
        >
          Record the prompt as a revision
        </button>
      </div>
    </section>
  );
}
