/**
 * The events service's public surface: the live event feed, the event log's windowed reads and
 * the streams' defaults.
 * Other services import this file only (tools/check-imports.mjs).
 */
export { EventFeed, type EventFilter, eventJson, type Subscription } from './event-feed.js';
export { eventsInWindow, type LoggedEvent } from './event-store.js';
export { EVENTS_DEFAULTS } from './events-defaults.js';
