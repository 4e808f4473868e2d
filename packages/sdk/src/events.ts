import { AstraApiError } from './errors.js';
import type { StreamedEvent } from './operations.js';

/**
 * Live events over Server-Sent Events (`GET /events/stream`) as an async iterator. The stream is
 * resumed after a dropped connection from the last event seen (`Last-Event-ID`), so a consumer
 * gets every event once, in order, until it stops iterating or aborts its signal.
 */
export interface EventStreamOptions {
  readonly goalId?: string;
  readonly agentId?: string;
  /** Start after this event id (replays the log from there); default: from now on. */
  readonly afterId?: number;
  /** Ends the iteration. */
  readonly signal?: AbortSignal;
  /** Pause before reconnecting after the connection dropped; default 1 s. */
  readonly reconnectDelayMs?: number;
}

export interface EventStreamConnection {
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly fetch: typeof fetch;
}

export async function* streamEvents(
  connection: EventStreamConnection,
  options: EventStreamOptions = {},
): AsyncGenerator<StreamedEvent, void, undefined> {
  let lastId = options.afterId;
  const query = new URLSearchParams();
  if (options.goalId !== undefined) query.set('goal_id', options.goalId);
  if (options.agentId !== undefined) query.set('agent_id', options.agentId);
  const target = `${connection.baseUrl}/events/stream${query.size > 0 ? `?${query}` : ''}`;
  const stopped = (): boolean => options.signal?.aborted === true;
  while (!stopped()) {
    let response: Response;
    try {
      response = await connection.fetch(target, {
        headers: {
          accept: 'text/event-stream',
          ...(connection.token === undefined ? {} : { authorization: `Bearer ${connection.token}` }),
          ...(lastId === undefined ? {} : { 'last-event-id': String(lastId) }),
        },
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      if (stopped()) return;
      throw error;
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as {
        error?: ConstructorParameters<typeof AstraApiError>[1];
      };
      throw new AstraApiError(response.status, body.error ?? {});
    }
    if (response.body === null) return;
    try {
      for await (const event of parse(response.body)) {
        lastId = event.id;
        yield event;
      }
    } catch {
      // A dropped connection: reconnect below, resuming after the last event.
      if (stopped()) return;
    }
    if (stopped()) return;
    await new Promise((resolve) => setTimeout(resolve, options.reconnectDelayMs ?? 1000));
  }
}

async function* parse(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamedEvent, void, undefined> {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data.length > 0) yield JSON.parse(data) as StreamedEvent;
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
