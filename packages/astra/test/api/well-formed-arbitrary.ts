import fc from 'fast-check';
import { collectionOf, fillPath, type Operation } from './operations.js';
import { type FuzzContext, type FuzzRequest, percent } from './request-arbitrary.js';
import { expandDeep, valid } from './schema-arbitrary.js';

/**
 * Well-formed requests for one operation, as a principal would send them to get through: valid ids
 * of the right kind in the path (any UUID where none is known), query parameters left out or valid,
 * a body valid by the operation's schema, and no junk headers. What request-arbitrary.ts breaks,
 * this keeps whole, so that access control is what decides. The arbitrary is unsigned: `signed`
 * adds one credential, so one arbitrary serves every principal.
 */
export function wellFormedRequest(op: Operation, context: FuzzContext): fc.Arbitrary<UnsignedRequest> {
  const params = fc.record(
    Object.fromEntries(
      op.pathParams.map((param) => {
        const own = context.idsByCollection[collectionOf(op.path, param.name)] ?? [];
        return [param.name, own.length > 0 ? fc.constantFrom(...own) : fc.uuid()];
      }),
    ),
  );
  const query = fc
    .tuple(
      ...op.query.map((param) =>
        fc.option(
          valid(param.schema, context.hints, param.name).map((v) => `${param.name}=${percent(String(v))}`),
          { nil: undefined },
        ),
      ),
    )
    .map((pairs) => {
      const chosen = pairs.filter((pair) => pair !== undefined);
      return chosen.length === 0 ? '' : `?${chosen.join('&')}`;
    });
  const body =
    op.body === undefined
      ? fc.constant(undefined)
      : valid(op.body, context.hints).map((value) => expandDeep(JSON.stringify(value) ?? 'null'));
  return fc.record({ params, query, body }).map(({ params, query, body }) => ({
    method: op.method,
    target: `${fillPath(op.path, params as Record<string, string>)}${query}`,
    ...(body === undefined ? {} : { body }),
  }));
}

/** A well-formed request without its credential. */
export interface UnsignedRequest {
  readonly method: string;
  readonly target: string;
  readonly body?: string;
}

/** The request sent with `authorization` (a full header value, `Bearer ...`). */
export function signed(request: UnsignedRequest, authorization: string): FuzzRequest {
  return {
    ...request,
    headers: [
      ['Authorization', authorization] as const,
      ...(request.body === undefined ? [] : [['Content-Type', 'application/json'] as const]),
    ],
  };
}
