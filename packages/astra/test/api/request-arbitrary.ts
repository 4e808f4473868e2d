import fc from 'fast-check';
import type { Credentials } from './fuzz-server.js';
import { collectionOf, fillPath, type Operation, type Parameter } from './operations.js';
import {
  expandDeep,
  fuzzed,
  type JsonSchema,
  nastyString,
  type ValueHints,
  valid,
} from './schema-arbitrary.js';

/**
 * Whole HTTP requests for one operation, as fast-check arbitraries: a credential (valid ones of
 * every principal, the restricted ones included; absent, garbage, tampered), path parameters (a valid id of the right kind, an
 * id of another kind, malformed and encoded segments), query parameters, the body (schema-derived,
 * mutated, arbitrary, invalid JSON, wrong content type) and header oddities (Idempotency-Key junk,
 * a Content-Length that lies, huge headers). A request is plain data, so a shrunk counterexample
 * reads as the request to replay.
 */
export interface FuzzRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: string;
  /** The Content-Length header lies: fewer or more bytes than the body has. */
  readonly lie?: 'short' | 'long';
}

export interface FuzzContext {
  readonly credentials: Credentials;
  /** Valid ids by the collection that serves them (`agents`, `goals`, ... ; `revisions` holds numbers). */
  readonly idsByCollection: Readonly<Record<string, readonly string[]>>;
  readonly hints: ValueHints;
}

const NIL = '00000000-0000-0000-0000-000000000000';

/** Percent-encoding that also takes lone surrogates (sent as U+FFFD), unlike encodeURIComponent. */
export function percent(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8'))
    out += /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte))
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

function jwtTampered(jwt: string): string[] {
  const [head = '', payload = '', signature = ''] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const forged = Buffer.from(
    JSON.stringify({ ...claims, super_admin: true, superAdmin: true, sa: true }),
  ).toString('base64url');
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
  return [
    `${head}.${forged}.${signature}`,
    `${none}.${payload}.`,
    `${head}.${payload}.${flipped}`,
    `${head}.${payload}`,
    `${head}..${signature}`,
  ];
}

function authorization(credentials: Credentials): fc.Arbitrary<string | undefined> {
  const { adminToken, adminJwt, adminKey, userJwt, userKey, restricted } = credentials;
  return fc.oneof(
    { weight: 14, arbitrary: fc.constant(`Bearer ${adminToken}`) },
    { weight: 2, arbitrary: fc.constantFrom(`Bearer ${adminJwt}`, `Bearer ${adminKey}`) },
    { weight: 3, arbitrary: fc.constantFrom(`Bearer ${userJwt}`, `Bearer ${userKey}`) },
    { weight: 4, arbitrary: fc.constantFrom(...restricted.map((credential) => `Bearer ${credential}`)) },
    { weight: 2, arbitrary: fc.constant(undefined) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'Bearer',
        'Bearer ',
        'bearer',
        `bearer ${adminToken}`,
        `Basic ${Buffer.from(`admin:${adminToken}`).toString('base64')}`,
        `Bearer ${adminToken}x`,
        `Bearer ${adminToken.slice(0, -1)}`,
        `Bearer ${adminToken} ${adminToken}`,
        `Bearer ${userKey.slice(0, -3)}abc`,
        `Bearer astra_${'A'.repeat(43)}`,
        `Bearer ${'a'.repeat(8000)}`,
        `Token ${adminToken}`,
        ...jwtTampered(userJwt).map((jwt) => `Bearer ${jwt}`),
        ...jwtTampered(adminJwt).map((jwt) => `Bearer ${jwt}`),
      ),
    },
    { weight: 1, arbitrary: nastyString.map((s) => `Bearer ${s}`) },
  );
}

/** A path segment for a parameter, already encoded as it goes in the URL. */
function segment(op: Operation, param: Parameter, context: FuzzContext): fc.Arbitrary<string> {
  const own = context.idsByCollection[collectionOf(op.path, param.name)] ?? [];
  const others = Object.values(context.idsByCollection)
    .flat()
    .filter((id) => !own.includes(id));
  const garbage = fc.oneof(
    fc.constantFrom(
      NIL,
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      '0',
      '-1',
      '1e3',
      '9007199254740993',
      'null',
      'undefined',
      'NaN',
      '%20',
      '.',
      '..',
      '%2e%2e',
      '%2F',
      'a%2Fb',
      '..%2F..%2Fetc%2Fpasswd',
      '%00',
      '%',
      '%zz',
      '%E2%80%AE',
      '%F0%9F%98%80',
      '%ED%A0%80',
      `${NIL}%0A`,
      `${NIL}x`,
      `{${NIL}}`,
      NIL.replace(/-/g, ''),
      'x'.repeat(5000),
      'x'.repeat(20_000),
    ),
    fc.uuid().map((u) => u.toUpperCase()),
    fc.string({ unit: 'binary', maxLength: 30 }).map(percent),
  );
  const arbitraries: fc.WeightedArbitrary<string>[] = [
    { weight: 3, arbitrary: garbage },
    { weight: 1, arbitrary: fc.uuid() },
  ];
  if (own.length > 0) arbitraries.push({ weight: 6, arbitrary: fc.constantFrom(...own) });
  if (others.length > 0) arbitraries.push({ weight: 1, arbitrary: fc.constantFrom(...others) });
  return fc.oneof(...arbitraries);
}

function queryString(op: Operation, context: FuzzContext): fc.Arbitrary<string> {
  const value = (schema: JsonSchema, name: string): fc.Arbitrary<string> =>
    fc.oneof(
      { weight: 3, arbitrary: valid(schema, context.hints, name).map((v) => percent(String(v))) },
      { weight: 2, arbitrary: nastyString.map(percent) },
      { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '', '1&1', '[]', '%00') },
    );
  const pairs = op.query.map((param) =>
    fc.oneof(
      fc.constant([] as string[]),
      value(param.schema, param.name).map((v) => [`${param.name}=${v}`]),
      fc
        .tuple(value(param.schema, param.name), value(param.schema, param.name))
        .map(([a, b]) => [`${param.name}=${a}`, `${param.name}=${b}`]),
      fc.constant([`${param.name}[]=1`, `${param.name}[x]=2`]),
    ),
  );
  const extra = fc.oneof(
    { weight: 4, arbitrary: fc.constant([] as string[]) },
    {
      weight: 1,
      arbitrary: fc.tuple(nastyString, nastyString).map(([k, v]) => [`${percent(k)}=${percent(v)}`]),
    },
    { weight: 1, arbitrary: fc.constantFrom(['__proto__[x]=1'], ['constructor=1'], ['&&&'], ['a=1&a=2']) },
  );
  return fc.tuple(fc.tuple(...pairs), extra).map(([chosen, more]) => {
    const all = [...chosen.flat(), ...more];
    return all.length === 0 ? '' : `?${all.join('&')}`;
  });
}

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/vnd.api+json',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  '',
  ';;;',
];

const INVALID_JSON = [
  '',
  '{',
  '{"a":',
  '}',
  '[',
  'nul',
  'NaN',
  'Infinity',
  "{'a': 1}",
  '{"a":1}}',
  '{"a":1,}',
  '\u0000',
  '\ufeff{}',
  '{"__proto__": {"polluted": true}}',
  '{"constructor": {"prototype": {"polluted": true}}}',
  '{"a": 1, "a": 2}',
  'a=1&b=2',
  '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--',
  '"\\ud800"',
  '{"x": "\\u0000"}',
  '1e999',
  `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
];

interface BodyPart {
  readonly body?: string;
  readonly contentType?: string;
}

function bodyPart(op: Operation, context: FuzzContext): fc.Arbitrary<BodyPart> {
  const schema = op.body ?? {};
  const json = fuzzed(schema, context.hints).map((value) => expandDeep(JSON.stringify(value) ?? 'null'));
  const withBody = fc.oneof(
    { weight: 10, arbitrary: json.map((body) => ({ body, contentType: 'application/json' })) },
    {
      weight: 2,
      arbitrary: fc.tuple(json, fc.constantFrom(...JSON_TYPES)).map(([body, contentType]) => ({
        body,
        contentType,
      })),
    },
    { weight: 1, arbitrary: json.map((body) => ({ body })) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...INVALID_JSON).map((body) => ({ body, contentType: 'application/json' })),
    },
    { weight: 1, arbitrary: fc.constant({ contentType: 'application/json' }) },
    { weight: 1, arbitrary: fc.constant({ body: 'x'.repeat(1_100_000), contentType: 'application/json' }) },
  );
  const noBody = fc.constant<BodyPart>({});
  return op.body !== undefined || op.method === 'POST' || op.method === 'PATCH'
    ? fc.oneof({ weight: 12, arbitrary: withBody }, { weight: 1, arbitrary: noBody })
    : fc.oneof({ weight: 6, arbitrary: noBody }, { weight: 1, arbitrary: withBody });
}

function extraHeaders(op: Operation): fc.Arbitrary<[string, string][]> {
  const idempotency = fc.oneof(
    fc.uuid(),
    fc.constantFrom('', ' ', 'x'.repeat(201), 'x'.repeat(10_000), 'same-key', 'é', '\u00ff\u00fe'),
    nastyString.map((s) => s.replace(/[\r\n]/g, '')),
  );
  const documented = op.headers.map((h) => h.name.toLowerCase());
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant([] as [string, string][]) },
    {
      weight: documented.includes('idempotency-key') ? 4 : 1,
      arbitrary: idempotency.map((key): [string, string][] => [['Idempotency-Key', key]]),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<[string, string][]>(
        [['X-Junk', 'a'.repeat(20_000)]],
        [['X-Forwarded-For', 'not an address, 999.1.1.1']],
        [['Accept', 'text/html']],
        [['Accept-Encoding', 'gzip, br']],
        [['Content-Type', 'application/json']],
        [['Origin', 'https://evil.example']],
        [['Expect', '100-continue']],
        [['X-HTTP-Method-Override', 'DELETE']],
        [['Transfer-Encoding', 'identity']],
        [['Ü-Header', 'value']],
        [['X-Unicode', 'zürich ☃']],
      ),
    },
  );
}

export function requestArbitrary(op: Operation, context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const params =
    op.pathParams.length === 0
      ? fc.constant({} as Record<string, string>)
      : fc.record(
          Object.fromEntries(op.pathParams.map((param) => [param.name, segment(op, param, context)])),
        );
  return fc
    .record({
      params,
      query: queryString(op, context),
      auth: authorization(context.credentials),
      body: bodyPart(op, context),
      headers: extraHeaders(op),
      lie: fc.oneof(
        { weight: 20, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom<'short' | 'long'>('short', 'long') },
      ),
    })
    .map(({ params, query, auth, body, headers, lie }) => {
      const all: [string, string][] = [];
      if (auth !== undefined) all.push(['Authorization', auth]);
      if (body.contentType !== undefined) all.push(['Content-Type', body.contentType]);
      all.push(...headers);
      const request: FuzzRequest = {
        method: op.method,
        target: `${fillPath(op.path, params)}${query}`,
        headers: all,
        ...(body.body === undefined ? {} : { body: body.body }),
        ...(lie === undefined || body.body === undefined ? {} : { lie }),
      };
      return request;
    });
}
