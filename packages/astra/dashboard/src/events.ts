import type { StreamedEvent } from '@astra/sdk';
import { authorized } from './api';
import { readSse } from './sse';

/**
 * The live event stream (`GET /events/stream`, Server-Sent Events) read with fetch, because
 * EventSource cannot send the Authorization header. `onOpen` runs each time the server has taken
 * the stream (its `: connected` comment), so a caller loads its snapshot after that and misses no
 * event. A broken stream reconnects after two seconds with `Last-Event-ID`; `abort` ends it.
 */
export interface StreamHandlers {
  readonly onEvent: (event: StreamedEvent) => void;
  readonly onOpen?: () => void;
  readonly onState?: (state: 'connecting' | 'live' | 'retrying') => void;
}

export function openEventStream(query: string, handlers: StreamHandlers, signal: AbortSignal): void {
  let lastId: number | undefined;
  const run = async (): Promise<void> => {
    while (!signal.aborted) {
      handlers.onState?.('connecting');
      try {
        const answer = await authorized(`/events/stream?${query}`, {
          signal,
          headers: lastId === undefined ? {} : { 'last-event-id': String(lastId) },
        });
        if (!answer.ok || answer.body === null) throw new Error(`event stream: ${answer.status}`);
        await readSse(answer.body, (message) => {
          if (message.comments.includes('connected')) {
            handlers.onState?.('live');
            handlers.onOpen?.();
          }
          if (message.data.length > 0) {
            const event = JSON.parse(message.data) as StreamedEvent;
            lastId = event.id;
            handlers.onEvent(event);
          }
        });
      } catch {
        if (signal.aborted) return;
      }
      handlers.onState?.('retrying');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  };
  void run();
}
