/**
 * The logs service: `GET /logs/recent`, this process's newest log lines from the ring its logger
 * feeds (log/recent-lines.ts). Its route plugin is `routes-logs.ts`, registered by the composition root.
 */
export { LOG_LEVELS, RecentLogLine, RecentLogList } from './api-schemas.js';
