import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { dataDirError } from '../../src/app/data-dir/data-dir-errors.js';
import { listenError } from '../../src/app/listen-error.js';
import { createStreamOutput } from '../../src/cli/output.js';
import { isAstraError } from '../../src/errors/index.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

describe('errors a person can act on', () => {
  it.each([
    ['EROFS', 'the file system is read-only'],
    ['EACCES', 'this user may not write there'],
    ['ENOSPC', 'the disk is full'],
  ])('names %s in the data dir as ASTRA_DATA_DIR_UNWRITABLE with what to do', (code, reason) => {
    const error = dataDirError('/srv/astra', errno(code));
    expect(isAstraError(error, 'ASTRA_DATA_DIR_UNWRITABLE')).toBe(true);
    expect((error as Error).message).toBe(
      `cannot use /srv/astra as the data dir: ${reason} (${code}); give --data-dir (ASTRA_DATA_DIR) a directory this user can write`,
    );
  });

  it('leaves errors it does not know unchanged', () => {
    const unknown = errno('EWHATEVER');
    expect(dataDirError('/srv/astra', unknown)).toBe(unknown);
    expect(listenError({ host: 'h', port: 1 }, unknown)).toBe(unknown);
  });

  it('maps listen failures to a port or address the person can change', () => {
    const inUse = listenError({ host: '127.0.0.1', port: 8080 }, errno('EADDRINUSE'));
    expect(isAstraError(inUse, 'ASTRA_PORT_IN_USE')).toBe(true);
    expect((inUse as Error).message).toContain('--port (ASTRA_PORT; 0 picks a free one)');
    const foreign = listenError({ host: '10.9.9.9', port: 8080 }, errno('EADDRNOTAVAIL'));
    expect(isAstraError(foreign, 'ASTRA_LISTEN_FAILED')).toBe(true);
    expect((foreign as Error).message).toMatch(
      /10\.9\.9\.9:8080: the address is not one of this host.*--host/,
    );
  });

  it('drops the rest of the output once standard output is closed (EPIPE), without throwing', () => {
    const written: string[] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done(written.length > 1 ? errno('EPIPE') : null);
      },
    });
    const output = createStreamOutput(stdout, new Writable({ write: (_c, _e, done) => done() }));
    output.out('one');
    output.out('two');
    return new Promise<void>((resolve) =>
      stdout.once('close', () => {
        output.out('three');
        expect(written).toEqual(['one\n', 'two\n']);
        resolve();
      }),
    );
  });
});
