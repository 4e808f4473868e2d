-- Signing keys' private halves are stored sealed: AES-256-GCM under a key-encryption key that never
-- enters the database (services/identity/key-sealer.ts), so the database, its WAL and its backups
-- hold nothing that signs a token. private_jwk holds a plaintext key only until the first start of a
-- gateway that seals it; exactly one of the two is set.
ALTER TABLE signing_keys ADD COLUMN private_key_sealed jsonb;
ALTER TABLE signing_keys ALTER COLUMN private_jwk DROP NOT NULL;
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_private_key_check
  CHECK ((private_jwk IS NULL) <> (private_key_sealed IS NULL));
