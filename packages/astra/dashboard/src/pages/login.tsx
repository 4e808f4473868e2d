import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, login } from '../api';

/** Email and password for `POST /login`; checks the fields first, shows the API's refusal. */
export function LoginPage(): JSX.Element {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) return setProblem('Enter your email address.');
    if (password.length === 0) return setProblem('Enter your password.');
    setProblem(undefined);
    setBusy(true);
    try {
      await login(email.trim(), password);
    } catch (error) {
      setProblem(
        error instanceof ApiError && error.status === 401
          ? 'Wrong email or password.'
          : error instanceof Error
            ? error.message
            : String(error),
      );
      setBusy(false);
    }
  };
  return (
    <main class="login" id="main">
      <form
        onSubmit={(event) => void submit(event)}
        noValidate
        aria-describedby={problem ? 'login-error' : undefined}
      >
        <h1>Astra dashboard</h1>
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="username"
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {problem === undefined ? null : (
          <p class="error" role="alert" id="login-error">
            {problem}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
