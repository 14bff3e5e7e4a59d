// Rows written to D1 from Node (the demo seed, `chorus brand create`) in the exact formats the worker
// reads back. Each helper mirrors a worker module; change both together.
import { createCipheriv, createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

// worker/lib/api-keys.ts: PREFIX per scope, key_hash = SHA-256 hex of the key, prefix = scope prefix + 4.
export const KEY_PREFIX = { storefront: 'ck_pub_', ingest: 'ck_ingest_', admin: 'ck_admin_' };

export const b64url = (buf) => buf.toString('base64').replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

export const sha256Hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

// worker/lib/ids.ts: newId = prefix + 96 random bits; generateApiKey = scope prefix + 192 random bits.
export const newId = (prefix) => `${prefix}_${b64url(randomBytes(12))}`;
export const generateApiKey = (scope) => `${KEY_PREFIX[scope]}${b64url(randomBytes(24))}`;

export function apiKeyRow({ id, brandId, scope, name, key, secretsKey, createdAt }) {
  return {
    id,
    brand_id: brandId,
    scope,
    name,
    key_hash: sha256Hex(key),
    prefix: key.slice(0, KEY_PREFIX[scope].length + 4),
    // Ingest keys are HMAC secrets the worker must read back.
    secret_enc: scope === 'ingest' ? seal(key, secretsKey) : null,
    created_at: createdAt,
    revoked_at: null,
  };
}

// worker/lib/passwords.ts: pbkdf2_sha256$<iterations>$<salt>$<hash>, base64url, 100,000 iterations.
export function passwordHash(password) {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password.normalize('NFKC'), salt, 100_000, 32, 'sha256');
  return `pbkdf2_sha256$100000$${b64url(salt)}$${b64url(hash)}`;
}

// The local SECRETS_KEY from wrangler.toml [vars]; deployed environments set their own with `wrangler secret put`.
export function localSecretsKey() {
  const toml = readFileSync(new URL('../wrangler.toml', import.meta.url), 'utf8');
  const match = /^SECRETS_KEY\s*=\s*"([^"]+)"/m.exec(toml);
  if (!match) throw new Error('SECRETS_KEY not found in wrangler.toml [vars]');
  return match[1];
}

// worker/lib/secrets.ts sealSecret: AES-256-GCM under SHA-256(SECRETS_KEY), "iv.ciphertext+tag" in base64url.
export function seal(plaintext, secretsKey = localSecretsKey()) {
  const key = createHash('sha256').update(secretsKey, 'utf8').digest();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${b64url(iv)}.${b64url(body)}`;
}

export function literal(value) {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`D1 row values must be integers, got ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  return literal(JSON.stringify(value)); // arrays and objects are stored as JSON text
}

// onConflict: 'nothing' makes re-running a script a no-op; 'fail' makes a clash an error the caller sees.
export function insertSql(table, row, { onConflict = 'nothing' } = {}) {
  const columns = Object.keys(row);
  const values = columns.map((c) => literal(row[c])).join(', ');
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values})${onConflict === 'nothing' ? ' ON CONFLICT DO NOTHING' : ''};`;
}
