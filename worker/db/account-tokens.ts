// Single-use account links (invites, password resets): 256 random bits, only the hash is stored.
import { hmacSha256Hex, sha256Hex } from '../lib/digest';
import { timingSafeEqual } from '../lib/signatures';
import { randomToken } from '../lib/ids';
import { MailError, sendMessage, type MessageEnv } from '../lib/messages';

export const INVITE_TTL_MS = 7 * 24 * 3_600_000;
export const RESET_TTL_MS = 3_600_000;

export type TokenPurpose = 'invite' | 'reset';

export async function issueAccountToken(db: D1Database, purpose: TokenPurpose, creatorId: string, brandId: string, now: number) {
  const token = randomToken(32);
  const expiresAt = now + (purpose === 'invite' ? INVITE_TTL_MS : RESET_TTL_MS);
  await db
    .prepare('INSERT INTO account_tokens (token_hash, purpose, creator_id, brand_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(await sha256Hex(token), purpose, creatorId, brandId, expiresAt, now)
    .run();
  return { token, expiresAt };
}

// email and display_name: the account's own, for mail to it and for pages only its owner reaches (a mailed
// link). known_name and known_email: what the link's brand knows of them (as db/schema.ts's roster view
// reads, written out here because a view on the right of a LEFT JOIN is built whole), for pages the brand's
// copy of an invite link opens.
export type AccountToken = { token_hash: string; creator_id: string; brand_id: string; brand_name: string; has_password: number; email: string; display_name: string; known_email: string | null; known_name: string | null };

// 256 random bits in base64url: anything else in a link's path is not one of ours.
export const isLinkToken = (token: string) => /^[A-Za-z0-9_-]{43}$/.test(token);

export async function findUsableToken(db: D1Database, purpose: TokenPurpose, token: string, now: number): Promise<AccountToken | null> {
  if (!isLinkToken(token)) return null;
  return db
    .prepare(
      `SELECT t.token_hash, t.creator_id, t.brand_id, b.name AS brand_name, c.password_hash IS NOT NULL AS has_password, c.email, c.display_name,
         CASE WHEN r.accepted_at IS NULL THEN r.email ELSE c.email END AS known_email, CASE WHEN r.accepted_at IS NULL THEN r.display_name ELSE c.display_name END AS known_name
       FROM account_tokens t JOIN creators c ON c.id = t.creator_id JOIN brands b ON b.id = t.brand_id LEFT JOIN brand_creators r ON r.brand_id = t.brand_id AND r.creator_id = t.creator_id
       WHERE t.token_hash = ? AND t.purpose = ? AND (t.used_at IS NULL OR t.purpose = 'invite') AND t.expires_at > ?`,
    )
    .bind(await sha256Hex(token), purpose, now)
    .first<AccountToken>();
}

// A password is only ever set from a link mailed to the account's own address (a reset link); an invite link
// only leads there, or to sign-in. A creator has one account across brands and a brand receives its invite
// links itself (to send as it likes), so an invite that set a password would let any brand that adds an email
// first, or adds a known creator's, hold the account: other brands' campaigns, and the payout details. For
// the same reason the invite's page reads the same for an address with an account as for a new one.
//
// The one exception is the invitation Chorus mails itself (db/invitation-mails.ts): it went to the account's own
// address, as a reset link does, so its copy of the invite link carries a proof (?k=&t=) that lets a new account
// choose its first password at once, without a second mail. The proof is an HMAC of the invite link and the
// address under SECRETS_KEY: the brand's copies of the link (its invite sheet, the console) never carry it, and
// it sets nothing once the account has a password.
// It also names when the mail was sent (?t=) and holds for INVITATION_PROOF_TTL_MS from then, as an invite does:
// each reminder carries a new one, and a mail forwarded or found later sets nothing.
export const INVITATION_PROOF_TTL_MS = INVITE_TTL_MS;

export async function invitationMailProof(secretsKey: string, rawToken: string, email: string, sentAt: number): Promise<{ k: string; t: string }> {
  return { k: await hmacSha256Hex(secretsKey, `invitation-mail\n${rawToken}\n${email}\n${sentAt}`), t: String(sentAt) };
}

// Checked whatever the account (with or without a password), so its timing tells nothing about it.
export async function isInvitationMailProof(secretsKey: string, rawToken: string, email: string, proof: { k?: string | undefined; t?: string | undefined }, now: number): Promise<boolean> {
  const sentAt = /^\d{13}$/.test(proof.t ?? '') ? Number(proof.t) : NaN;
  const expected = await invitationMailProof(secretsKey, rawToken, email, Number.isNaN(sentAt) ? 0 : sentAt);
  const fresh = sentAt <= now + 60_000 && now - sentAt < INVITATION_PROOF_TTL_MS;
  return /^[0-9a-f]{64}$/.test(proof.k ?? '') && timingSafeEqual(expected.k, proof.k!) && fresh;
}

// A creator's move to a new email address, proved by a link mailed to that address: an HMAC (under SECRETS_KEY)
// of the account, the address it leaves, the one it moves to and when it was asked (`at`), which the account
// keeps as creators.email_link_at. Only the latest link is open: a newer request, a password change and the
// move itself each replace or clear that time, so a link works once and an older one never comes back.
export const EMAIL_CHANGE_TTL_MS = 24 * 60 * 60 * 1000;
export type EmailChange = { creatorId: string; from: string; to: string; at: number };

export const emailChangeProof = (secretsKey: string, m: EmailChange) => hmacSha256Hex(secretsKey, `email-change\n${m.creatorId}\n${m.from}\n${m.to}\n${m.at}`);

export async function isEmailChangeProof(secretsKey: string, m: EmailChange, k: string, now: number): Promise<boolean> {
  const expected = await emailChangeProof(secretsKey, m);
  return /^[0-9a-f]{64}$/.test(k) && timingSafeEqual(expected, k) && m.at <= now + 60_000 && now - m.at < EMAIL_CHANGE_TTL_MS;
}

// A reset link is used once however many copies of its form are posted at once. D1 runs one batch at a time
// and a batch's statements in order: each write of the batch is guarded on the link being still unused
// (resetLinkUnused) and the batch ends with consumeResetStatement, so the copy that runs first does it all
// and one that runs after writes nothing and sees changes = 0. (A guard on "used at this instant" could not
// tell apart two copies that read the same Date.now().)
const RESET_LINK_UNUSED = "EXISTS (SELECT 1 FROM account_tokens WHERE token_hash = ? AND purpose = 'reset' AND used_at IS NULL AND expires_at > ?)";
export const resetLinkUnused = (tokenHash: string, now: number) => ({ sql: RESET_LINK_UNUSED, params: [tokenHash, now] });

export function consumeResetStatement(db: D1Database, tokenHash: string, now: number): D1PreparedStatement {
  return db.prepare("UPDATE account_tokens SET used_at = ?1 WHERE token_hash = ?2 AND purpose = 'reset' AND used_at IS NULL AND expires_at > ?1").bind(now, tokenHash);
}

// Once a password is set, every other open reset link of the account closes for good (expires_at 0, so a
// copy whose request read an earlier clock passes no guard either). Invite links stay as they are: they set no
// password once the account has one (not even the mailed copy), so from now on each leads to sign-in, where the
// creator accepts or declines that brand. Closing them would tell a brand, through its invite sheet, that the
// address set up an account with someone else. Guarded like the batch's other writes, before
// consumeResetStatement.
export function closeOtherLinksStatement(db: D1Database, creatorId: string, tokenHash: string, now: number): D1PreparedStatement {
  const unused = resetLinkUnused(tokenHash, now);
  return db
    .prepare(`UPDATE account_tokens SET expires_at = 0 WHERE creator_id = ? AND purpose = 'reset' AND token_hash <> ? AND used_at IS NULL AND expires_at > ? AND ${unused.sql}`)
    .bind(creatorId, tokenHash, now, ...unused.params);
}

// The guard of a batch that sets the account's password to `hash` without a reset link (a change on Your
// account, a first password from the mailed invitation): its later writes happen only if this batch set it.
export const passwordSetTo = (creatorId: string, hash: string) => ({ sql: 'EXISTS (SELECT 1 FROM creators WHERE id = ? AND password_hash = ?)', params: [creatorId, hash] });

// Every open reset link of the account closes, as after a reset, in such a batch: a link in an older mail no
// longer undoes the new password.
export function closeResetLinksStatement(db: D1Database, creatorId: string, now: number, guard: { sql: string; params: readonly (string | number)[] }): D1PreparedStatement {
  return db
    .prepare(`UPDATE account_tokens SET expires_at = 0 WHERE creator_id = ? AND purpose = 'reset' AND used_at IS NULL AND expires_at > ? AND ${guard.sql}`)
    .bind(creatorId, now, ...guard.params);
}

// Reset links mailed to one account in a day at the request of one brand (its password-reset call, or the
// creator on that brand's invite page): each is a mail to someone's inbox, so no one can make Chorus flood
// it, and no brand can spend the allowance the creator's other brands' invites rely on.
export const MAX_MAILED_LINKS_PER_DAY = 5;

// Reset links one brand may have mailed in a day, to all its creators together: a brand chooses the
// addresses on its roster, so without this it could use Chorus to mail thousands of strangers. Generous for
// a network of a few hundred creators each asking twice.
export const MAX_MAILED_LINKS_PER_BRAND_PER_DAY = 1_000;

// What an anonymous ask (the sign-in page's "Forgot your password?") may spend of those allowances: it stops
// short of them, so someone who knows a creator's address cannot use up the links the brand would send.
export const SELF_SERVICE_LIMITS = { perAddress: 3, perBrand: MAX_MAILED_LINKS_PER_BRAND_PER_DAY / 2 };

// A day's allowance spent (the brand's links to this address, or to anyone), or a mail that certainly did not
// leave: no provider is set, or it refused the message.
export type MailRefusal = 'address_limit' | 'brand_limit' | 'mail_not_configured' | 'mail_refused';

// Mails a one-hour link to set the account's password, or answers why not. The counts and the insert are one
// statement, so parallel asks cannot pass them. A link whose mail certainly did not leave is deleted: no one
// holds it, and it must not spend the allowance of someone who can only try again. One the provider did not
// confirm may be in the inbox already, so it stays valid and counted (`confirmed: false`).
export async function mailPasswordLink(
  env: MessageEnv & { DB: D1Database },
  creator: { id: string; email: string },
  brandId: string,
  origin: string,
  now: number,
  limits: { perAddress: number; perBrand: number } = { perAddress: MAX_MAILED_LINKS_PER_DAY, perBrand: MAX_MAILED_LINKS_PER_BRAND_PER_DAY },
): Promise<{ expiresAt: number; confirmed: boolean } | { refused: MailRefusal }> {
  const token = randomToken(32);
  const tokenHash = await sha256Hex(token);
  const expiresAt = now + RESET_TTL_MS;
  const db = env.DB;
  const { meta } = await db
    .prepare(
      `INSERT INTO account_tokens (token_hash, purpose, creator_id, brand_id, expires_at, created_at)
       SELECT ?1, 'reset', ?2, ?3, ?4, ?5
       WHERE (SELECT count(*) FROM account_tokens WHERE creator_id = ?2 AND brand_id = ?3 AND purpose = 'reset' AND created_at > ?5 - 86400000) < ?6
         AND (SELECT count(*) FROM account_tokens WHERE brand_id = ?3 AND purpose = 'reset' AND created_at > ?5 - 86400000) < ?7`,
    )
    .bind(tokenHash, creator.id, brandId, expiresAt, now, limits.perAddress, limits.perBrand)
    .run();
  if (meta.changes !== 1) {
    const brandSent = await db
      .prepare("SELECT count(*) AS n FROM account_tokens WHERE brand_id = ? AND purpose = 'reset' AND created_at > ? - 86400000")
      .bind(brandId, now)
      .first<number>('n');
    return { refused: (brandSent ?? 0) >= limits.perBrand ? 'brand_limit' : 'address_limit' };
  }
  try {
    await sendMessage(env, { to: creator.email, subject: 'Set your Chorus password', text: `Open this link within the hour to choose your password: ${origin}/reset/${token}` });
  } catch (error) {
    if (!(error instanceof MailError) || error.reason === 'unconfirmed') return { expiresAt, confirmed: false };
    await db.prepare("DELETE FROM account_tokens WHERE token_hash = ? AND purpose = 'reset'").bind(tokenHash).run();
    return { refused: error.reason === 'not_configured' ? 'mail_not_configured' : 'mail_refused' };
  }
  return { expiresAt, confirmed: true };
}
