// A member's own two-step sign-in at /console/team/me/two-step, for every role: the shared routes (../two-step.ts)
// for a console account, under its brand's name and policy. An owner's reset and the brand's policy are on the Team
// page (team.tsx); the sign-in step is console.tsx.
import { Hono } from 'hono';
import { RecoveryCodesPage, TWO_STEP_ACTION, TwoStepManagePage, TwoStepSetupPage } from '../../../../portal/console/two-step';
import type { Flash } from '../../../../portal/console/layout';
import { auditIfChanged, auditStatement } from '../../../db/audit';
import { recoveryCodesLeft, type Factor } from '../../../db/two-step';
import { consoleForgotPlace } from '../../../env';
import { proveItIsYou as proveIt, settingsFlashes, twoStepSettings, type TwoStepAccount, type TwoStepEvent } from '../two-step';
import { viewerOf } from './campaigns';
import { flashOf, renderPage, type ConsoleContext, type ConsoleEnv } from './context';
import { awaitingReview } from './queries';

export const twoStepRoutes = new Hono<ConsoleEnv>();

// What a console account is to the shared code: one brand's, named by it in the app, the mails and the audit log.
export function consoleTwoStepAccount(c: ConsoleContext, member: { id: string; email: string; brandId: string; brandName: string }): TwoStepAccount {
  const { id, email, brandId, brandName } = member;
  const db = c.env.DB;
  return {
    subject: { type: 'admin_user', id },
    email,
    // Each brand's console account has its own secret: the brand in the label keeps an app from mixing them up.
    entry: brandName,
    place: `${brandName}'s console on Chorus`,
    yours: 'your Chorus console',
    forgot: consoleForgotPlace(c),
    askForReset: `ask an owner of ${brandName} to reset your two-step sign-in`,
    unreadableHelp: `Ask an owner of ${brandName} to reset your two-step sign-in, or, if no owner can sign in, whoever runs Chorus for you.`,
    audit: (event: TwoStepEvent, now: number, byLimit = false) => {
      const row = { brandId, actorType: 'admin_user', actorId: id, action: `admin_user.${event}`, targetType: 'admin_user', targetId: id } as const;
      return byLimit ? auditStatement(db, { ...row, actorType: 'system', actorId: 'two-step-code' }, now) : auditIfChanged(db, row, now);
    },
  };
}

const signedIn = (c: ConsoleContext) => {
  const { id, sessionId } = c.var.user;
  return {
    ...consoleTwoStepAccount(c, c.var.user),
    sessionId,
    // Null for none: an invitation not taken up signs in to nothing anyway.
    passwordHash: () => c.env.DB.prepare('SELECT password_hash FROM admin_users WHERE id = ? AND removed_at IS NULL').bind(id).first<string | null>('password_hash'),
    live: { sql: 'EXISTS (SELECT 1 FROM admin_users WHERE id = ? AND removed_at IS NULL)', params: [id] },
  };
};

// The signed-in member's proof (password, and a code when `factor`, theirs, is on): their own changes, and an
// owner's weakening of someone else's sign-in (team.tsx).
export const proveItIsYou = (c: ConsoleContext, factor: Factor | null) => proveIt(c, signedIn(c), factor);

// What the page says after a redirect; a recovery code's advice depends on whether the brand lets them turn it off.
const flashes = (c: ConsoleContext): Record<string, Flash> => ({
  required: { tone: 'warn', text: 'Your brand requires two-step sign-in. Set it up to open the console.' },
  ...settingsFlashes(c.var.user.twoStepRequired ? `Make new recovery codes below, or ask an owner of ${c.var.user.brandName} to reset your two-step sign-in, then set it up with the new one.` : undefined),
});

const page = twoStepSettings<ConsoleEnv>({
  action: TWO_STEP_ACTION,
  account: signedIn,
  setupPage: async (c, setup, errors, status = 200) => {
    const toReview = await awaitingReview(c.env.DB, c.var.user.brandId);
    return renderPage(c, <TwoStepSetupPage viewer={viewerOf(c)} toReview={toReview} setup={setup} required={c.var.user.twoStepRequired === 1} flash={flashOf(flashes(c), c)} errors={errors} />, status);
  },
  managePage: async (c, factor, errors, status = 200) => {
    const [toReview, left] = await Promise.all([awaitingReview(c.env.DB, c.var.user.brandId), recoveryCodesLeft(c.env.DB, { type: 'admin_user', id: c.var.user.id })]);
    return renderPage(
      c,
      <TwoStepManagePage viewer={viewerOf(c)} toReview={toReview} since={factor.created_at} left={left} required={c.var.user.twoStepRequired === 1} flash={flashOf(flashes(c), c)} errors={errors} />,
      status,
    );
  },
  codesPage: async (c, codes, first) => renderPage(c, <RecoveryCodesPage viewer={viewerOf(c)} toReview={await awaitingReview(c.env.DB, c.var.user.brandId)} codes={codes} first={first} />),
  // While the brand requires it, no one turns theirs off; the delete holds that against a policy changed meanwhile.
  keptOn: (c) => ({
    now: c.var.user.twoStepRequired === 1,
    says: `${c.var.user.brandName} requires two-step sign-in, so it stays on. A new phone? Ask an owner to reset it, then set it up again.`,
    optional: { sql: 'NOT EXISTS (SELECT 1 FROM brands WHERE id = ? AND require_two_step = 1)', params: [c.var.user.brandId] },
  }),
});

twoStepRoutes.get('/team/me/two-step', page.show);
twoStepRoutes.post('/team/me/two-step', page.turnOn);
twoStepRoutes.post('/team/me/two-step/recovery', page.newCodes);
twoStepRoutes.post('/team/me/two-step/off', page.turnOff);
