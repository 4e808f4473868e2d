import { useEffect, useState } from 'preact/hooks';

/** Pages are addressed by the URL's hash (`#/goals/<id>`), so the server serves one page only. */
export interface Route {
  readonly page: string;
  readonly id?: string;
}

export function parseRoute(hash: string): Route {
  const [page = '', id] = hash.replace(/^#\/?/, '').split('/');
  return id === undefined || id.length === 0
    ? { page: page || 'overview' }
    : { page, id: decodeURIComponent(id) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export const href = (page: string, id?: string): string =>
  id === undefined ? `#/${page}` : `#/${page}/${encodeURIComponent(id)}`;

export function navigate(page: string, id?: string): void {
  location.hash = href(page, id);
}
