import type { ChatFrame } from '@astra/sdk';
import { authorized, errorOf } from './api';
import { readSse } from './sse';

/**
 * One chat turn over REST + SSE (`POST /chat/sessions/{id}/messages` with
 * `Accept: text/event-stream`, docs/chat.md): each frame goes to `onFrame` as it arrives. The
 * WebSocket is not used: browsers send an Origin with it, and the gateway refuses origins outside
 * ASTRA_CORS_ORIGINS, which need not list its own. Aborting `signal` hangs up, and the server
 * cancels the turn (the provider's stream is closed). A turn refused before it starts is thrown as
 * the API's error.
 */
export async function sendTurn(
  sessionId: string,
  content: string,
  onFrame: (frame: ChatFrame) => void,
  signal: AbortSignal,
): Promise<void> {
  const answer = await authorized(`/chat/sessions/${sessionId}/messages`, {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ content }),
  });
  const type = answer.headers.get('content-type') ?? '';
  if (!answer.ok || !type.startsWith('text/event-stream') || answer.body === null)
    throw await errorOf(answer);
  await readSse(answer.body, (message) => {
    if (message.data.length > 0) onFrame(JSON.parse(message.data) as ChatFrame);
  });
}
