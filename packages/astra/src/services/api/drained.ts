/**
 * Resolves when a response that refused a write (`write()` returned false) can take more bytes,
 * or when it closed meanwhile, or when `ended` settles (the stream's own end): how streamed answers
 * (the event stream, the audit export) wait for slow clients without buffering.
 */
export function drained(out: NodeJS.WritableStream, ended?: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
    void ended?.then(done);
  });
}
