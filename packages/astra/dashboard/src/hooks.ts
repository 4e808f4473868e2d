import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { type Action, can, type ResourceType } from './access';

/** What every page shares from the shell: the refresh counter and where to report a load. */
export interface ShellState {
  readonly refreshKey: number;
  readonly loaded: () => void;
}
export const Shell = createContext<ShellState>({ refreshKey: 0, loaded: () => undefined });

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** Loads once per dependency change and per press of the shell's refresh; reports the time it loaded. */
export function useData<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const shell = useContext(Shell);
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [own, setOwn] = useState(0);
  useEffect(() => {
    let live = true;
    setState((before) => ({ ...before, loading: true }));
    load().then(
      (data) => {
        if (!live) return;
        setState({ data, loading: false });
        shell.loaded();
      },
      (error: unknown) => {
        if (live)
          setState({ error: error instanceof Error ? error : new Error(String(error)), loading: false });
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, shell.refreshKey, own]);
  return { data: state.data, error: state.error, loading: state.loading, reload: () => setOwn((n) => n + 1) };
}

/** Whether the user may do this; false until the API has answered. */
export function useCan(action: Action, resourceType: ResourceType, resourceId?: string): boolean {
  const [allowed, setAllowed] = useState(false);
  useEffect(() => {
    let live = true;
    void can(action, resourceType, resourceId).then((answer) => {
      if (live) setAllowed(answer);
    });
    return () => {
      live = false;
    };
  }, [action, resourceType, resourceId]);
  return allowed;
}
