-- Identity: users, the keys that sign their tokens, and API keys for machines.
-- Secrets are stored only as hashes (passwords: scrypt; API keys: SHA-256 of a 256-bit random key).

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  display_name text,
  password_hash text NOT NULL,
  status text NOT NULL DEFAULT 'active'
    CONSTRAINT users_status_check CHECK (status IN ('active', 'suspended', 'deactivated')),
  is_super_admin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);
-- Emails compare case-insensitively.
CREATE UNIQUE INDEX users_email_idx ON users (lower(email));
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- Token signing keys (ES256). The newest unretired key signs; every key not retired verifies, so a
-- rotation never invalidates tokens still within their lifetime.
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  algorithm text NOT NULL CONSTRAINT signing_keys_algorithm_check CHECK (algorithm IN ('ES256')),
  public_jwk jsonb NOT NULL,
  private_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL,
  -- The first characters of the key, to recognise it in lists; the key itself is never stored.
  prefix text NOT NULL,
  key_hash text NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);
CREATE UNIQUE INDEX api_keys_hash_idx ON api_keys (key_hash);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);
