import type { Approval, ApprovalDetails } from '@astra/sdk';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useCan, useData } from '../hooks';
import { href } from '../router';
import { DataTable, Dialog, ErrorText, Json, Loading, PageTitle, short, when } from '../ui';

/** Pending approvals the user may see; approve or deny from the detail, when the policies let them decide. */
export function ApprovalsPage(): JSX.Element {
  const { data, error, loading, reload } = useData(
    () => api<{ approvals: Approval[] }>('GET', '/approvals/pending?limit=1000'),
    [],
  );
  const [open, setOpen] = useState<string | undefined>();
  return (
    <section aria-labelledby="page-heading">
      <PageTitle title="Approvals" />
      <Loading when={loading && data === undefined} />
      <ErrorText error={error} />
      {data === undefined ? null : (
        <DataTable
          caption="Pending approvals"
          rows={data.approvals}
          rowKey={(approval) => approval.id}
          empty="Nothing waits for approval."
          columns={[
            { title: 'Kind', cell: (approval) => approval.request_type },
            { title: 'What', cell: (approval) => approval.action_summary },
            {
              title: 'Goal',
              cell: (approval) => <a href={href('goal', approval.goal_id)}>{short(approval.goal_id)}</a>,
            },
            {
              title: 'Votes',
              cell: (approval) => `${approval.approvals_received} of ${approval.required_approvals}`,
            },
            { title: 'Expires', cell: (approval) => when(approval.expires_at) },
            {
              title: 'Actions',
              cell: (approval) => (
                <button type="button" onClick={() => setOpen(approval.id)}>
                  Details <span class="sr-only">of {approval.action_summary}</span>
                </button>
              ),
            },
          ]}
        />
      )}
      {open === undefined ? null : (
        <ApprovalDialog
          id={open}
          onClose={(changed) => {
            setOpen(undefined);
            if (changed) reload();
          }}
        />
      )}
    </section>
  );
}

function ApprovalDialog(props: { id: string; onClose: (changed: boolean) => void }): JSX.Element {
  const { data, error } = useData(() => api<ApprovalDetails>('GET', `/approvals/${props.id}`), [props.id]);
  const mayDecide = useCan('approval.decide', 'approval', props.id);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<Error | undefined>();
  const decide = async (verdict: 'approve' | 'deny'): Promise<void> => {
    try {
      await api(
        'POST',
        `/approvals/${props.id}/${verdict}`,
        reason.trim().length === 0 ? {} : { reason: reason.trim() },
      );
      props.onClose(true);
    } catch (failure) {
      setProblem(failure as Error);
    }
  };
  return (
    <Dialog title="Approval" onClose={() => props.onClose(false)}>
      <Loading when={data === undefined && error === undefined} />
      <ErrorText error={error} />
      {data === undefined ? null : (
        <>
          <dl class="facts">
            <dt>Kind</dt>
            <dd>{data.request_type}</dd>
            <dt>What</dt>
            <dd>{data.action_summary}</dd>
            <dt>Votes</dt>
            <dd>
              {data.approvals_received} of {data.required_approvals}
            </dd>
            <dt>Created</dt>
            <dd>{when(data.created_at)}</dd>
          </dl>
          {data.plan_payload === undefined ? null : <Json value={data.plan_payload} label="The plan" />}
          {data.decisions.length === 0 ? null : (
            <ul>
              {data.decisions.map((decision) => (
                <li key={decision.created_at + decision.approver}>
                  {decision.approver}: {decision.decision}
                  {decision.reason === null ? '' : ` (${decision.reason})`}
                </li>
              ))}
            </ul>
          )}
          {mayDecide && data.status === 'pending' ? (
            <label>
              Reason (optional)
              <textarea rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            </label>
          ) : (
            <p class="muted">
              {data.status === 'pending' ? 'You may not decide this approval.' : `It is ${data.status}.`}
            </p>
          )}
        </>
      )}
      <ErrorText error={problem} />
      <div class="dialog-actions">
        <button type="button" onClick={() => props.onClose(false)}>
          Close
        </button>
        {mayDecide && data?.status === 'pending' ? (
          <>
            <button type="button" class="danger" onClick={() => void decide('deny')}>
              Deny
            </button>
            <button type="button" class="primary" onClick={() => void decide('approve')}>
              Approve
            </button>
          </>
        ) : null}
      </div>
    </Dialog>
  );
}
