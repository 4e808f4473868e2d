import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { forgetAccess } from './access';
import { logout, onSessionChange, sessionUser, signedIn } from './api';
import { Shell, useCan } from './hooks';
import { PAGES, type PageEntry } from './pages';
import { LoginPage } from './pages/login';
import { href, useRoute } from './router';
import { saveTheme, storedTheme, type Theme } from './theme';

/** Signed out: the login page. Signed in: the shell (navigation, theme, refresh) around the page. */
export function App(): JSX.Element {
  const [, setVersion] = useState(0);
  useEffect(
    () =>
      onSessionChange(() => {
        forgetAccess();
        setVersion((n) => n + 1);
      }),
    [],
  );
  return signedIn() ? <ShellView /> : <LoginPage />;
}

function NavLink({ entry, current }: { entry: PageEntry; current: string }): JSX.Element | null {
  const allowed = useCan(entry.needs ?? 'platform.view', 'platform');
  if (entry.needs !== undefined && !allowed) return null;
  const active = current === entry.page || (entry.page === 'goals' && current === 'goal');
  return (
    <li>
      <a href={href(entry.page)} aria-current={active ? 'page' : undefined}>
        {entry.title}
      </a>
    </li>
  );
}

function ShellView(): JSX.Element {
  const route = useRoute();
  const [theme, setTheme] = useState<Theme>(storedTheme);
  const [refreshKey, setRefreshKey] = useState(0);
  const [updated, setUpdated] = useState<Date | undefined>();
  const shell = useMemo(() => ({ refreshKey, loaded: () => setUpdated(new Date()) }), [refreshKey]);
  const entry = PAGES.find((candidate) => candidate.page === route.page);
  const user = sessionUser();
  const Page = entry?.component;
  useEffect(() => {
    document.title = `${entry?.title ?? 'Not found'} · Astra`;
  }, [entry]);
  const toggle = (): void => {
    const next = theme === 'dark' ? 'light' : 'dark';
    saveTheme(next);
    setTheme(next);
  };
  return (
    <Shell.Provider value={shell}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Astra</span>
        <span class="muted" aria-live="polite">
          {updated === undefined ? '' : `Last updated ${updated.toLocaleTimeString()}`}
        </span>
        <button type="button" onClick={() => setRefreshKey((n) => n + 1)}>
          Refresh
        </button>
        <button type="button" onClick={toggle} aria-pressed={theme === 'dark'}>
          Dark theme
        </button>
        <a href="/docs" target="_blank" rel="noreferrer">
          API docs
        </a>
        <span class="muted">{user?.email ?? ''}</span>
        <button type="button" onClick={() => void logout()}>
          Sign out
        </button>
      </header>
      <div class="layout">
        <nav aria-label="Pages" class="sidebar">
          <ul>
            {PAGES.filter((candidate) => candidate.inNav !== false).map((candidate) => (
              <NavLink key={candidate.page} entry={candidate} current={route.page} />
            ))}
          </ul>
        </nav>
        <main id="main">
          {Page === undefined ? (
            <h1>Not found</h1>
          ) : (
            <Page
              key={`${route.page}/${route.id ?? ''}`}
              {...(route.id === undefined ? {} : { id: route.id })}
            />
          )}
        </main>
      </div>
    </Shell.Provider>
  );
}
