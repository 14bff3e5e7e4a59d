// The brand's team at /console/team. Owners add people by email (they are mailed an invitation to choose a
// password: the link is never shown in the console, so only the address's owner can use it), change roles,
// mail a new link and remove people; managers and viewers read the list. A brand always keeps an owner: no
// one changes their own role or removes themselves, and every write is guarded on another owner remaining.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Flash } from '../../../../portal/console/layout';
import { ROLE_LABELS } from '../../../../portal/console/layout';
import { TeamPage, type Member, type MemberValues, type Role } from '../../../../portal/console/team';
import { auditIfChanged } from '../../../db/audit';
import { consoleForgotPlace, mailLinkOrigin } from '../../../env';
import { isUniqueViolation } from '../../../lib/d1-errors';
import { ApiError, notFound } from '../../../lib/errors';
import { ID_PATTERN, newId } from '../../../lib/ids';
import { log } from '../../../lib/log';
import { hashPassword, passwordChangeProblem, verifyPassword } from '../../../lib/passwords';
import { noticeAfterResponse, noticesAfterResponse } from '../../../mail';
import { factorOf, removeStatements } from '../../../db/two-step';
import { plainText } from '../../../lib/validate';
import { viewerOf } from './campaigns';
import { proveItIsYou } from './two-step';
import { canWrite, flashOf, readForm, renderPage, requireOwner, withFlash, type ConsoleContext, type ConsoleEnv, type PageStatus, refuseWithoutOrigin } from './context';
import { consoleLinksUnavailable, LIVE_MEMBER, mailConsoleLink, mintConsoleLink, CONSOLE_INVITES_PER_BRAND_PER_DAY, CONSOLE_LINKS_PER_DAY } from './links';
import { awaitingReview } from './queries';

export const teamRoutes = new Hono<ConsoleEnv>();

// People on one brand's team at once (removed ones do not count).
export const MAX_TEAM = 50;

const roleSchema = z.enum(['owner', 'manager', 'finance', 'viewer']);
const memberSchema = z.object({
  email: z.email('Enter their email address.').max(254),
  name: plainText(100).pipe(z.string().min(1, 'Enter their name.')),
  role: roleSchema,
});

const FLASH: Record<string, Flash> = {
  added: { tone: 'success', text: 'Added. We emailed them a link to choose a password; it works for a week.' },
  added_unmailed: { tone: 'warn', text: 'Added, but the invitation could not be mailed. Try “Email a new link” in a few minutes.' },
  added_limit: { tone: 'warn', text: `Added, but your team has sent that address ${CONSOLE_LINKS_PER_DAY.invite} invitation links today, or ${CONSOLE_INVITES_PER_BRAND_PER_DAY} invitations in all. Send a new link tomorrow.` },
  resent: { tone: 'success', text: 'A new link is on its way. It works for a week.' },
  role: { tone: 'success', text: 'Role changed. It applies from their next page.' },
  unchanged: { tone: 'info', text: 'That was their role already.' },
  removed: { tone: 'success', text: 'Removed, and signed out of this console.' },
  renamed: { tone: 'success', text: 'Your name is saved.' },
  notify_saved: { tone: 'success', text: 'Your notifications are saved: you get the mails ticked below.' },
  password: { tone: 'success', text: 'Password changed. You stay signed in here; your other sign-ins with the old password ended.' },
  two_step_reset: { tone: 'success', text: 'Two-step sign-in reset. They sign in with their password alone until they set it up again, and we emailed them.' },
  two_step_required: { tone: 'success', text: 'Two-step sign-in is now required: anyone without it sets it up before their next page. We emailed them.' },
  two_step_optional: { tone: 'success', text: 'Two-step sign-in is no longer required. Everyone who has it keeps it.' },
};

const LIVE_OWNER_ACTOR = "EXISTS (SELECT 1 FROM admin_users WHERE id = ? AND brand_id = ? AND role = 'owner' AND removed_at IS NULL)";
// Another owner than the target stays: demoting or removing an owner never leaves the brand without one.
// (one who has joined: an owner still invited may never take it up).
const OWNER_REMAINS = "(SELECT count(*) FROM admin_users WHERE brand_id = ? AND role = 'owner' AND removed_at IS NULL AND password_hash IS NOT NULL AND id <> ?) >= 1";

const TWO_STEP_ON = (id: string) => `EXISTS (SELECT 1 FROM two_step_factors f WHERE f.subject_type = 'admin_user' AND f.subject_id = ${id})`;

async function teamOf(db: D1Database, brandId: string): Promise<Member[]> {
  const { results } = await db
    .prepare(
      `SELECT u.id, u.email, u.name, u.role, u.created_at, u.password_hash IS NOT NULL AS has_password, ${TWO_STEP_ON('u.id')} AS two_step,
         (SELECT max(t.expires_at) FROM admin_reset_tokens t WHERE t.email = u.email AND t.purpose = 'invite' AND t.brand_id = u.brand_id AND t.used_at IS NULL) AS invite_expires_at
       FROM admin_users u WHERE u.brand_id = ? AND u.removed_at IS NULL
       ORDER BY CASE u.role WHEN 'owner' THEN 0 WHEN 'manager' THEN 1 WHEN 'finance' THEN 2 ELSE 3 END, u.created_at, u.id`,
    )
    .bind(brandId)
    .all<Member>();
  return results;
}

async function renderTeam(c: ConsoleContext, extras: { values?: MemberValues; errors?: string[]; confirmRemove?: Member; confirmReset?: Member; confirmPolicyOff?: boolean; selfName?: string } = {}, status: PageStatus = 200) {
  const [members, toReview, self] = await Promise.all([
    teamOf(c.env.DB, c.var.user.brandId),
    awaitingReview(c.env.DB, c.var.user.brandId),
    c.env.DB.prepare('SELECT review_digest, weekly_report, message_mail FROM admin_users WHERE id = ?').bind(c.var.user.id).first<{ review_digest: number; weekly_report: number; message_mail: number }>(),
  ]);
  return renderPage(
    c,
    <TeamPage
      viewer={viewerOf(c)}
      selfId={c.var.user.id}
      isOwner={c.var.user.role === 'owner'}
      members={members}
      values={extras.values ?? { email: '', name: '', role: 'manager' }}
      flash={flashOf(FLASH, c)}
      errors={extras.errors}
      confirmRemove={extras.confirmRemove}
      confirmReset={extras.confirmReset}
      confirmPolicyOff={extras.confirmPolicyOff}
      twoStepRequired={c.var.user.twoStepRequired === 1}
      selfName={extras.selfName}
      reviewDigest={canWrite(c.var.user) ? self?.review_digest === 1 : null}
      weeklyReport={self?.weekly_report === 1}
      messageMail={self?.message_mail === 1}
      toReview={toReview}
      now={Date.now()}
    />,
    status,
  );
}

// Another team member of this brand, still on the team; anyone else (another brand's, removed, made up) is a 404.
async function memberOr404(c: ConsoleContext): Promise<Member> {
  const id = c.req.param('id') ?? '';
  const m = ID_PATTERN.test(id)
    ? await c.env.DB.prepare(`SELECT id, email, name, role, created_at, password_hash IS NOT NULL AS has_password, ${TWO_STEP_ON('id')} AS two_step, NULL AS invite_expires_at FROM admin_users WHERE id = ? AND brand_id = ? AND removed_at IS NULL`)
        .bind(id, c.var.user.brandId)
        .first<Member>()
    : null;
  if (!m) throw notFound('team member');
  if (m.id === c.var.user.id) throw new ApiError(409, 'own_account', 'You cannot change your own role or remove yourself. Ask another owner.');
  return m;
}

const UNAVAILABLE = 'This Chorus cannot send email yet, so it cannot send invitations. Ask whoever runs it to set up mail (MAIL_API_KEY and MAIL_FROM).';

// Mints an invitation link and mails it; says how that went. Never throws: the member is on the team either
// way, and a new link can be sent from the list. The mail names the brand, not the person who sent it (a name
// an owner types is no text to put in a stranger's inbox).
async function sendInvite(c: ConsoleContext, member: { email: string; role: Role }): Promise<'sent' | 'unmailed' | 'address_limit' | 'brand_limit' | 'no_account'> {
  const { brandId, brandName } = c.var.user;
  try {
    const link = await mintConsoleLink(c.env.DB, { email: member.email, purpose: 'invite', brandId, now: Date.now() });
    if ('refused' in link) return link.refused;
    const text = [
      `You were added to ${brandName}'s team on Chorus, as ${ROLE_LABELS[member.role].toLowerCase()}.`,
      `Open this link within a week to join: ${mailLinkOrigin(c)}/console/reset/${link.token}`,
      `If you sign in to Chorus for another brand already, you join with that password; otherwise you choose one.`,
      `Not expecting this? Ignore this mail: no one can sign in as you without it.`,
    ].join('\n\n');
    await mailConsoleLink(c.env, link.tokenHash, { to: member.email, subject: `You're invited to ${brandName} on Chorus`, text });
    return 'sent';
  } catch (error) {
    log.error('console_invite_mail_failed', { error });
    return 'unmailed';
  }
}

teamRoutes.get('/team', (c) => renderTeam(c));

teamRoutes.post('/team', async (c) => {
  requireOwner(c, 'change the team');
  const form = await readForm(c);
  const values: MemberValues = { email: form.get('email').trim().toLowerCase().slice(0, 300), name: form.get('name').slice(0, 300), role: form.get('role') };
  const parsed = memberSchema.safeParse(values);
  if (!parsed.success) {
    const said = (i: (typeof parsed.error.issues)[number]) =>
      i.path[0] === 'role' ? 'Pick a role: owner, manager, finance or viewer.' : i.path[0] === 'email' ? 'Enter their email address.' : i.message === 'Enter their name.' ? i.message : /direction|control/.test(i.message) ? `Name: ${i.message}` : 'Name: up to 100 characters, on one line.';
    return renderTeam(c, { values, errors: [...new Set(parsed.error.issues.map(said))] }, 422);
  }
  const unavailable = consoleLinksUnavailable(c);
  if (unavailable) return refuseWithoutOrigin(c, (error, status) => renderTeam(c, { values, errors: [error] }, status), unavailable === 'no_mail' ? UNAVAILABLE : undefined);
  const { email, name, role } = parsed.data;
  const { brandId, id: actorId } = c.var.user;
  const db = c.env.DB;
  const existing = await db.prepare('SELECT id, removed_at FROM admin_users WHERE brand_id = ? AND email = ?').bind(brandId, email).first<{ id: string; removed_at: number | null }>();
  if (existing && existing.removed_at === null) return renderTeam(c, { values, errors: [`${email} is on the team already.`] }, 409);
  const now = Date.now();
  const id = existing?.id ?? newId('adm');
  // Someone removed earlier comes back as a new member: the old row (which history names) without a password.
  const write = existing
    ? db.prepare(`UPDATE admin_users SET name = ?, role = ?, password_hash = NULL, removed_at = NULL, created_at = ? WHERE id = ? AND removed_at IS NOT NULL AND ${LIVE_OWNER_ACTOR} AND (SELECT count(*) FROM admin_users WHERE brand_id = ? AND removed_at IS NULL) < ?`).bind(name, role, now, id, actorId, brandId, brandId, MAX_TEAM)
    : db
        .prepare(
          `INSERT INTO admin_users (id, brand_id, email, name, role, password_hash, created_at) SELECT ?, ?, ?, ?, ?, NULL, ?
           WHERE ${LIVE_OWNER_ACTOR} AND (SELECT count(*) FROM admin_users WHERE brand_id = ? AND removed_at IS NULL) < ?`,
        )
        .bind(id, brandId, email, name, role, now, actorId, brandId, brandId, MAX_TEAM);
  let changed: number;
  try {
    const [result] = await db.batch([write, auditIfChanged(db, { brandId, actorType: 'admin_user', actorId, action: 'admin_user.added', targetType: 'admin_user', targetId: id, details: { email, role } }, now)]);
    changed = result!.meta.changes;
  } catch (e) {
    if (isUniqueViolation(e)) return renderTeam(c, { values, errors: [`${email} is on the team already.`] }, 409);
    throw e;
  }
  if (changed !== 1) {
    const size = (await db.prepare('SELECT count(*) AS n FROM admin_users WHERE brand_id = ? AND removed_at IS NULL').bind(brandId).first<number>('n')) ?? 0;
    const why = size >= MAX_TEAM ? `A team has at most ${MAX_TEAM} people. Remove someone first.` : 'The team changed meanwhile (your role, or this person was added by someone else). Look again and retry.';
    return renderTeam(c, { values, errors: [why] }, 409);
  }
  const sent = await sendInvite(c, { email, role });
  return c.redirect(withFlash('/console/team', sent === 'sent' ? 'added' : sent === 'address_limit' || sent === 'brand_limit' ? 'added_limit' : 'added_unmailed'), 303);
});

teamRoutes.post('/team/:id/invite', async (c) => {
  requireOwner(c, 'change the team');
  const member = await memberOr404(c);
  if (member.has_password) return renderTeam(c, { errors: [`${member.name} has a password already: they can sign in, and ask for a password link from sign-in.`] }, 409);
  const unavailable = consoleLinksUnavailable(c);
  if (unavailable) return refuseWithoutOrigin(c, (error, status) => renderTeam(c, { errors: [error] }, status), unavailable === 'no_mail' ? UNAVAILABLE : undefined);
  const sent = await sendInvite(c, member);
  if (sent === 'address_limit' || sent === 'brand_limit') {
    c.header('Retry-After', '86400');
    const why = sent === 'brand_limit' ? `Your team has sent ${CONSOLE_INVITES_PER_BRAND_PER_DAY} invitations today.` : `Your team has sent ${member.email} ${CONSOLE_LINKS_PER_DAY.invite} invitation links today.`;
    return renderTeam(c, { errors: [`${why} Try again tomorrow.`] }, 429);
  }
  if (sent === 'no_account') return renderTeam(c, { errors: [`${member.name} has joined meanwhile, or was removed.`] }, 409);
  if (sent === 'unmailed') return renderTeam(c, { errors: ['The invitation could not be mailed. Try again in a few minutes.'] }, 503);
  return c.redirect(withFlash('/console/team', 'resent'), 303);
});

// Anyone on the team, viewers included, names themselves (the team list and the activity log show it).
teamRoutes.post('/team/me/name', async (c) => {
  const typed = (await readForm(c)).get('name').slice(0, 400);
  const parsed = memberSchema.shape.name.safeParse(typed);
  if (!parsed.success) return renderTeam(c, { errors: ['Your name: 1 to 100 characters, on one line.'], selfName: typed }, 422);
  const { brandId, id, name } = c.var.user;
  const db = c.env.DB;
  const now = Date.now();
  await db.batch([
    db.prepare('UPDATE admin_users SET name = ? WHERE id = ? AND brand_id = ? AND removed_at IS NULL AND name <> ?').bind(parsed.data, id, brandId, parsed.data),
    auditIfChanged(db, { brandId, actorType: 'admin_user', actorId: id, action: 'admin_user.renamed', targetType: 'admin_user', targetId: id, details: { from: name, to: parsed.data } }, now),
  ]);
  return c.redirect(withFlash('/console/team', 'renamed'), 303);
});

// An owner's or manager's own mails, each on or off: drafts waiting for review (jobs/review-digest.ts), the
// weekly network report (jobs/weekly-report.ts) and creators' unread messages (jobs/message-mail.ts).
teamRoutes.post('/team/me/notifications', async (c) => {
  const form = await readForm(c);
  const on = form.get('reviewDigest') === 'on';
  const weekly = form.get('weeklyReport') === 'on';
  const messages = form.get('messageMail') === 'on';
  await c.env.DB.prepare('UPDATE admin_users SET review_digest = ?, weekly_report = ?, message_mail = ? WHERE id = ? AND brand_id = ?')
    .bind(on ? 1 : 0, weekly ? 1 : 0, messages ? 1 : 0, c.var.user.id, c.var.user.brandId)
    .run();
  return c.redirect(withFlash('/console/team', 'notify_saved'), 303);
});

// Anyone on the team changes their own password with the one they have. The same email's accounts in other
// brands that the typed password also opens change with it (sign-in offers them all for one password; each
// is checked as sign-in checks it); one with a password of its own is left alone. Their other sign-ins end
// (this one stays) and mailed reset links close. Each account changes only if it still holds the hash that
// was checked, and only while this one does: of two changes at once, the second writes nothing. Limited with
// sign-in's own key, before any hashing.
teamRoutes.post('/team/me/password', async (c) => {
  const { id, email } = c.var.user;
  const limited = await c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: `console:${email}` });
  if (!limited.success) {
    c.header('Retry-After', '60');
    return renderTeam(c, { errors: ['Too many attempts. Wait a minute and try again.'] }, 429);
  }
  const form = await readForm(c);
  const db = c.env.DB;
  const { results: accounts } = await db
    .prepare(`SELECT id, password_hash FROM admin_users WHERE email = ? AND ${LIVE_MEMBER} AND password_hash IS NOT NULL ORDER BY id = ? DESC, created_at LIMIT 10`)
    .bind(email, id)
    .all<{ id: string; password_hash: string }>();
  const own = accounts.find((a) => a.id === id) ?? null;
  const typed = { current: form.get('current'), password: form.get('password'), confirm: form.get('confirm') };
  const problem = await passwordChangeProblem(typed, own?.password_hash ?? null);
  if (problem) return renderTeam(c, { errors: [`Your password: ${problem.message}`] }, problem.status);
  const opened = [own!];
  for (const a of accounts) if (a.id !== id && (await verifyPassword(typed.current.slice(0, 256), a.password_hash))) opened.push(a);
  const hash = await hashPassword(typed.password);
  const now = Date.now();
  const proven = `${LIVE_MEMBER} AND (${opened.map(() => '(id = ? AND password_hash = ?)').join(' OR ')}) AND EXISTS (SELECT 1 FROM admin_users WHERE id = ? AND password_hash = ? AND ${LIVE_MEMBER})`;
  const provenParams = [...opened.flatMap((a) => [a.id, a.password_hash]), id, own!.password_hash];
  const [, updated] = await db.batch([
    db
      .prepare(
        `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
         SELECT 'aud_' || lower(hex(randomblob(9))), brand_id, 'admin_user', id, 'admin_user.password_changed', 'admin_user', id, NULL, ? FROM admin_users WHERE ${proven}`,
      )
      .bind(now, ...provenParams),
    db.prepare(`UPDATE admin_users SET password_hash = ? WHERE ${proven}`).bind(hash, ...provenParams),
    db
      .prepare(`UPDATE sessions SET revoked_at = ? WHERE subject_type = 'admin_user' AND subject_id IN (SELECT id FROM admin_users WHERE email = ? AND password_hash = ?) AND id <> ? AND revoked_at IS NULL`)
      .bind(now, email, hash, c.var.user.sessionId),
    db.prepare(`UPDATE admin_reset_tokens SET expires_at = 0 WHERE email = ? AND purpose = 'reset' AND used_at IS NULL AND expires_at > ? AND EXISTS (SELECT 1 FROM admin_users WHERE id = ? AND password_hash = ?)`).bind(email, now, id, hash),
  ]);
  if (updated!.meta.changes === 0) return renderTeam(c, { errors: ['Your password: it was changed meanwhile. Sign in again if you are signed out.'] }, 409);
  // A warning never holds up the change it reports: without an address to name (env.ts consoleForgotPlace) it says where to go.
  const notice = {
    to: email,
    subject: 'Your Chorus console password was changed',
    text: `The password you sign in to the Chorus console with was changed, and your other sign-ins with the old one ended. If this was not you, choose a new one at once: ${consoleForgotPlace(c)}.`,
  };
  noticeAfterResponse(c.executionCtx, c.env, notice, 'password_notice_failed', { urgent: true });
  return c.redirect(withFlash('/console/team', 'password'), 303);
});

teamRoutes.post('/team/:id/role', async (c) => {
  requireOwner(c, 'change the team');
  const member = await memberOr404(c);
  const parsed = roleSchema.safeParse((await readForm(c)).get('role'));
  if (!parsed.success) return renderTeam(c, { errors: ['Pick a role: owner, manager, finance or viewer.'] }, 422);
  const role = parsed.data;
  if (role === member.role) return c.redirect(withFlash('/console/team', 'unchanged'), 303);
  const { brandId, id: actorId } = c.var.user;
  const db = c.env.DB;
  const now = Date.now();
  const [result] = await db.batch([
    db
      .prepare(`UPDATE admin_users SET role = ? WHERE id = ? AND brand_id = ? AND role = ? AND removed_at IS NULL AND ${LIVE_OWNER_ACTOR} AND ${OWNER_REMAINS}`)
      .bind(role, member.id, brandId, member.role, actorId, brandId, brandId, member.id),
    auditIfChanged(db, { brandId, actorType: 'admin_user', actorId, action: 'admin_user.role_changed', targetType: 'admin_user', targetId: member.id, details: { from: member.role, to: role } }, now),
  ]);
  if (result!.meta.changes !== 1) return renderTeam(c, { errors: [`${member.name}'s role changed meanwhile, or the brand would be left without an owner. Look again and retry.`] }, 409);
  return c.redirect(withFlash('/console/team', 'role'), 303);
});

teamRoutes.post('/team/:id/remove', async (c) => {
  requireOwner(c, 'change the team');
  const member = await memberOr404(c);
  if ((await readForm(c)).get('confirm') !== '1') return renderTeam(c, { confirmRemove: member });
  const { brandId, id: actorId } = c.var.user;
  const db = c.env.DB;
  const now = Date.now();
  const removedNow = 'EXISTS (SELECT 1 FROM admin_users WHERE id = ? AND removed_at = ?)';
  const [result] = await db.batch([
    db.prepare(`UPDATE admin_users SET removed_at = ? WHERE id = ? AND brand_id = ? AND removed_at IS NULL AND ${LIVE_OWNER_ACTOR} AND ${OWNER_REMAINS}`).bind(now, member.id, brandId, actorId, brandId, brandId, member.id),
    auditIfChanged(db, { brandId, actorType: 'admin_user', actorId, action: 'admin_user.removed', targetType: 'admin_user', targetId: member.id, details: { email: member.email, role: member.role } }, now),
    db.prepare(`UPDATE sessions SET revoked_at = ? WHERE subject_type = 'admin_user' AND subject_id = ? AND revoked_at IS NULL AND ${removedNow}`).bind(now, member.id, member.id, now),
    db.prepare(`UPDATE admin_reset_tokens SET expires_at = 0 WHERE purpose = 'invite' AND brand_id = ? AND email = ? AND used_at IS NULL AND ${removedNow}`).bind(brandId, member.email, member.id, now),
    // Added again later, they start over: without a password, and without two-step.
    ...removeStatements(db, { type: 'admin_user', id: member.id }, { sql: removedNow, params: [member.id, now] }),
  ]);
  if (result!.meta.changes !== 1) return renderTeam(c, { errors: [`${member.name} was changed meanwhile, or the brand would be left without an owner. Look again and retry.`] }, 409);
  // Someone who had joined hears that their access ended (as a bank or Stripe tells a removed user); an invitation
  // never taken up just closes.
  if (member.has_password) {
    const { brandName } = c.var.user;
    noticeAfterResponse(
      c.executionCtx,
      c.env,
      {
        to: member.email,
        subject: `Your access to ${brandName} on Chorus ended`,
        text: `An owner of ${brandName} removed you from its team on Chorus, so you can no longer open its console, and you were signed out of it. If you think this is a mistake, ask an owner of ${brandName}. Other brands you work with on Chorus are not affected.`,
      },
      'team_removal_notice_failed',
    );
  }
  return c.redirect(withFlash('/console/team', 'removed'), 303);
});

// The owner's own password, and a code when they have two-step on, for a change that weakens someone's sign-in.
const ownerProof = async (c: ConsoleContext) => proveItIsYou(c, await factorOf(c.env.DB, { type: 'admin_user', id: c.var.user.id }));

// An owner resets another member's two-step sign-in (a lost phone and its recovery codes): asked twice, the second
// time with the owner's password (and code), audited, and the member is mailed. They sign in with their password
// alone until they set it up again, at once if the brand requires it. Their own they turn off themselves
// (memberOr404 refuses it), another brand's member is a 404.
teamRoutes.post('/team/:id/two-step/reset', async (c) => {
  requireOwner(c, 'reset two-step sign-in');
  const member = await memberOr404(c);
  if (!member.two_step) return renderTeam(c, { errors: [`${member.name} does not have two-step sign-in on.`] }, 409);
  if ((await readForm(c)).get('confirm') !== '1') return renderTeam(c, { confirmReset: member });
  const proof = await ownerProof(c);
  if (!proof.ok) return renderTeam(c, { confirmReset: member, errors: proof.errors }, proof.status);
  const { brandId, brandName, id: actorId, name: actorName } = c.var.user;
  const db = c.env.DB;
  const now = Date.now();
  const [removed, ...rest] = removeStatements(db, { type: 'admin_user', id: member.id }, { sql: `${LIVE_OWNER_ACTOR} AND EXISTS (SELECT 1 FROM admin_users WHERE id = ? AND brand_id = ? AND removed_at IS NULL)`, params: [actorId, brandId, member.id, brandId] });
  const [result] = await db.batch([removed!, auditIfChanged(db, { brandId, actorType: 'admin_user', actorId, action: 'admin_user.two_step_reset', targetType: 'admin_user', targetId: member.id }, now), ...rest]);
  if (result!.meta.changes !== 1) return renderTeam(c, { errors: [`${member.name} was changed meanwhile. Look again and retry.`] }, 409);
  const then = c.var.user.twoStepRequired ? `${brandName} requires two-step sign-in, so the console asks you to set it up again from your next page on.` : 'You sign in with your password alone until you set it up again (Settings → Team → Two-step sign-in).';
  noticeAfterResponse(
    c.executionCtx,
    c.env,
    {
      to: member.email,
      subject: `Your two-step sign-in for ${brandName} on Chorus was reset`,
      text: `${actorName}, an owner of ${brandName}, reset your two-step sign-in for its console on Chorus: your authenticator app and recovery codes no longer work there. ${then}\n\nIf you did not ask for this, tell ${actorName} and choose a new password: ${consoleForgotPlace(c)}.`,
    },
    'two_step_notice_failed',
    { urgent: true },
  );
  return c.redirect(withFlash('/console/team', 'two_step_reset'), 303);
});

// The brand's policy: everyone on the team signs in with two-step. An owner turns it on only with their own on
// (they would be sent to set it up at once). Turning it off is asked again, with the owner's password and code.
// Members without it hear so by mail; when it is turned off, the other owners do.
teamRoutes.post('/team/two-step-policy', async (c) => {
  requireOwner(c, 'change what the team signs in with');
  const form = await readForm(c);
  const required = form.get('required') === 'on';
  const { brandId, brandName, id: actorId, name: actorName } = c.var.user;
  if (required && !c.var.user.twoStep) return renderTeam(c, { errors: ['Turn on two-step sign-in for yourself first (Two-step sign-in, below), then require it of everyone.'] }, 409);
  if (!required && c.var.user.twoStepRequired) {
    if (form.get('confirm') !== '1') return renderTeam(c, { confirmPolicyOff: true });
    const proof = await ownerProof(c);
    if (!proof.ok) return renderTeam(c, { confirmPolicyOff: true, errors: proof.errors }, proof.status);
  }
  const db = c.env.DB;
  const now = Date.now();
  const [, audit] = await db.batch([
    db.prepare(`UPDATE brands SET require_two_step = ? WHERE id = ? AND require_two_step <> ? AND ${LIVE_OWNER_ACTOR}`).bind(required ? 1 : 0, brandId, required ? 1 : 0, actorId, brandId),
    auditIfChanged(db, { brandId, actorType: 'admin_user', actorId, action: 'brand.two_step_policy_changed', targetType: 'brand', targetId: brandId, details: { required } }, now),
  ]);
  if (audit!.meta.changes === 1) {
    const recipients = required
      ? `SELECT email FROM admin_users u WHERE brand_id = ? AND removed_at IS NULL AND password_hash IS NOT NULL AND NOT ${TWO_STEP_ON('u.id')}`
      : `SELECT email FROM admin_users WHERE brand_id = ? AND removed_at IS NULL AND password_hash IS NOT NULL AND role = 'owner' AND id <> ?`;
    const { results } = await db.prepare(recipients).bind(brandId, ...(required ? [] : [actorId])).all<{ email: string }>();
    const text = required
      ? `${actorName}, an owner of ${brandName}, now requires two-step sign-in for its console on Chorus. When you next open it, you set it up first: a minute with an authenticator app on your phone.`
      : `${actorName}, an owner of ${brandName}, no longer requires two-step sign-in for its console on Chorus. Members who have it keep it; others sign in with their password alone. If this was not meant, an owner can require it again on the Team page.`;
    const subject = required ? `${brandName} now requires two-step sign-in on Chorus` : `${brandName} no longer requires two-step sign-in on Chorus`;
    noticesAfterResponse(c.executionCtx, c.env, results.map(({ email }) => ({ to: email, subject, text })), 'two_step_notice_failed');
  }
  return c.redirect(withFlash('/console/team', required ? 'two_step_required' : 'two_step_optional'), 303);
});
