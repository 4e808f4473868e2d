import type { StreamedEvent } from '@astra/sdk';
import { authorized } from './api';

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
        const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (message.includes(': connected')) {
              handlers.onState?.('live');
              handlers.onOpen?.();
            }
            const data = message
              .split('\n')
              .filter((line) => line.startsWith('data: '))
              .map((line) => line.slice(6))
              .join('\n');
            if (data.length > 0) {
              const event = JSON.parse(data) as StreamedEvent;
              lastId = event.id;
              handlers.onEvent(event);
            }
            end = buffer.indexOf('\n\n');
          }
        }
      } catch {
        if (signal.aborted) return;
      }
      handlers.onState?.('retrying');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  };
  void run();
}
