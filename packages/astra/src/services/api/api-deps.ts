import type { TaskEngine } from '../../kernel/tasks/engine.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { AgentActors } from '../agents/agent-actors.js';

/** What the API's routes are built from. */
export interface ApiDeps {
  readonly store: SqlStore;
  readonly engine: TaskEngine;
  readonly actors: AgentActors;
  readonly adminToken: string;
  /** Shown in the API description. */
  readonly version: string;
}
