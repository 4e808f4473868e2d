/**
 * Reads a Server-Sent Events body as it arrives: each message (the text between blank lines) goes
 * to `onMessage` with its comment lines (`: connected`) and its `data:` lines joined. Used by the
 * event stream (events.ts) and by chat turns (chat-turn.ts), both read with fetch because
 * EventSource cannot send the Authorization header.
 */
export interface SseMessage {
  readonly comments: readonly string[];
  /** The `data:` lines joined with newlines; empty when there were none. */
  readonly data: string;
}

export async function readSse(
  body: NonNullable<Response['body']>,
  onMessage: (message: SseMessage) => void,
): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      onMessage({
        comments: lines.filter((line) => line.startsWith(':')).map((line) => line.slice(1).trim()),
        data: lines
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n'),
      });
      end = buffer.indexOf('\n\n');
    }
  }
}
