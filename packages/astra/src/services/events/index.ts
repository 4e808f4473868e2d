/**
 * The events service's public surface: the live event feed and the event log's windowed reads.
 * Other services import this file only (tools/check-imports.mjs).
 */
export { EventFeed, type EventFilter, eventJson, type Subscription } from './event-feed.js';
export { eventsInWindow, type LoggedEvent } from './event-store.js';
