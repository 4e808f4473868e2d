/**
 * The dashboard service: the web dashboard's built files, served by the gateway
 * (docs/dashboard.md). Its route plugin is `routes-dashboard.ts`, registered by the composition root.
 */
export { type DashboardFile, type DashboardFiles, loadDashboardFiles } from './dashboard-assets.js';
export { DASHBOARD_PATH, DASHBOARD_POLICY } from './dashboard-policy.js';
