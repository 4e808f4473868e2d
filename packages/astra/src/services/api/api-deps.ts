import type { TaskEngine } from '../../kernel/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { AccessControl } from '../access/index.js';
import type { AdmissionGate, AgentActors } from '../agents/index.js';
import type { ApprovalSettings } from '../approvals/index.js';
import type { Identity } from '../identity/index.js';
import type { ReadModel } from '../reads/index.js';

/** What the API's routes are built from. */
export interface ApiDeps {
  readonly store: SqlStore;
  readonly engine: TaskEngine;
  /** Views by id through the cache (tasks, graphs, goals, agents, profiles). */
  readonly reads: ReadModel;
  readonly actors: AgentActors;
  /** Sheds goal submissions beyond what this process can admit now (503 ASTRA_OVERLOADED). */
  readonly admission: AdmissionGate;
  readonly adminToken: string;
  readonly identity: Identity;
  /** Decides who may do what (services/access). */
  readonly access: AccessControl;
  readonly clock: Clock;
  /** What needs approval beyond each agent's own config (services/approvals/policy.ts); default APPROVAL_DEFAULTS. */
  readonly approvals?: ApprovalSettings;
  /** Origins browsers may call the API from (CORS); empty: none. */
  readonly corsOrigins: readonly string[];
  /** Shown in the API description. */
  readonly version: string;
  /** Event streams (routes-events.ts): tail interval, keep-alive interval, per-client queue; default EVENTS_DEFAULTS.streams. */
  readonly streams?: { readonly pollMs: number; readonly heartbeatMs: number; readonly bufferSize: number };
  /** How long an invitation to join an organization stays open (default ACCESS_DEFAULTS). */
  readonly invitationTtlSeconds?: number;
  /** Goals one agent may send per minute through `POST /internal/goals` (default GOALS_DEFAULTS). */
  readonly agentGoalsPerMinute?: number;
}
