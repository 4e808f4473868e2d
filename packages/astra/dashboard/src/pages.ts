import type { FunctionComponent } from 'preact';
import type { Action } from './access';
import { AgentsPage } from './pages/agents';
import { ApprovalsPage } from './pages/approvals';
import { ChatPage } from './pages/chat';
import { CostPage } from './pages/cost';
import { GoalPage } from './pages/goal';
import { GoalsPage } from './pages/goals';
import { LogsPage } from './pages/logs';
import { OverviewPage } from './pages/overview';
import { ServicesPage } from './pages/services';
import { ToolsPage } from './pages/tools';
import { WorkersPage } from './pages/workers';

/**
 * The dashboard's pages: one entry each, in the order of the navigation. A new page is a
 * component and a line here; `needs` hides it from users whom the API
 * would refuse, and `inNav: false` keeps detail pages out of the navigation.
 */
export interface PageEntry {
  readonly page: string;
  readonly title: string;
  readonly component: FunctionComponent<{ id?: string }>;
  readonly needs?: Action;
  readonly inNav?: false;
}

export const PAGES: readonly PageEntry[] = [
  { page: 'overview', title: 'Overview', component: OverviewPage },
  { page: 'agents', title: 'Agents', component: AgentsPage },
  { page: 'goals', title: 'Goals', component: GoalsPage },
  { page: 'goal', title: 'Goal', component: GoalPage, inNav: false },
  { page: 'approvals', title: 'Approvals', component: ApprovalsPage },
  { page: 'workers', title: 'Workers', component: WorkersPage, needs: 'platform.view' },
  { page: 'cost', title: 'Cost', component: CostPage },
  { page: 'tools', title: 'Tools', component: ToolsPage },
  { page: 'services', title: 'Services', component: ServicesPage },
  { page: 'logs', title: 'Logs', component: LogsPage, needs: 'platform.view' },
  { page: 'chat', title: 'Chat', component: ChatPage },
];
