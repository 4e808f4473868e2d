/** The JSON values of a newline-delimited JSON body, as its lines arrive. */
export async function* readNdjson(response: Response): AsyncGenerator<unknown> {
  if (response.body === null) return;
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line.length > 0) yield JSON.parse(line);
        newline = buffer.indexOf('\n');
      }
    }
  } finally {
    // An early stop (the consumer broke off) releases the connection.
    await reader.cancel().catch(() => {});
  }
  const rest = (buffer + decoder.decode()).trim();
  if (rest.length > 0) yield JSON.parse(rest);
}
