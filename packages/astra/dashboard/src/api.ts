import type { Session, User } from '@astra/sdk';

/**
 * The dashboard's one way to the server: the public API with the signed-in user's token. The
 * session (access and refresh token) lives in sessionStorage, so it ends with the tab; an answer
 * of 401 refreshes the access token once (`POST /auth/refresh`) and otherwise signs out.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface StoredSession {
  readonly token: string;
  readonly refreshToken: string;
  readonly user: User | null;
}

const SESSION_KEY = 'astra.session';
let current: StoredSession | null = readSession();
const listeners = new Set<() => void>();

function readSession(): StoredSession | null {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    return raw === null ? null : (JSON.parse(raw) as StoredSession);
  } catch {
    return null;
  }
}

function store(session: Session | null): void {
  current =
    session === null
      ? null
      : { token: session.token, refreshToken: session.refresh_token, user: session.user };
  if (current === null) sessionStorage.removeItem(SESSION_KEY);
  else sessionStorage.setItem(SESSION_KEY, JSON.stringify(current));
  for (const listener of listeners) listener();
}

export const sessionUser = (): User | null => current?.user ?? null;
export const signedIn = (): boolean => current !== null;
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function errorOf(answer: Response): Promise<ApiError> {
  const body = (await answer.json().catch(() => null)) as {
    error?: { code?: string; message?: string };
  } | null;
  return new ApiError(
    answer.status,
    body?.error?.code ?? 'HTTP',
    body?.error?.message ?? `${answer.status} ${answer.statusText}`,
  );
}

export async function login(email: string, password: string): Promise<void> {
  const answer = await fetch('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!answer.ok) throw await errorOf(answer);
  store((await answer.json()) as Session);
}

export async function logout(): Promise<void> {
  const refresh = current?.refreshToken;
  store(null);
  if (refresh !== undefined)
    await fetch('/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refresh }),
    }).catch(() => undefined);
}

let refreshing: Promise<boolean> | undefined;
async function refresh(): Promise<boolean> {
  const token = current?.refreshToken;
  if (token === undefined) return false;
  refreshing ??= fetch('/auth/refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: token }),
  })
    .then(async (answer) => {
      if (!answer.ok) return false;
      store((await answer.json()) as Session);
      return true;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

/** A fetch with the user's token; a 401 refreshes the token once, then signs out. */
export async function authorized(path: string, init: RequestInit = {}): Promise<Response> {
  const send = (): Promise<Response> =>
    fetch(path, {
      ...init,
      headers: {
        ...(init.headers as Record<string, string>),
        authorization: `Bearer ${current?.token ?? ''}`,
      },
    });
  let answer = await send();
  if (answer.status === 401 && (await refresh())) answer = await send();
  if (answer.status === 401) store(null);
  return answer;
}

export async function api<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const answer = await authorized(path, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!answer.ok) throw await errorOf(answer);
  return (await answer.json()) as T;
}
