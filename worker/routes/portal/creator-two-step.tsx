// A creator's two-step sign-in: the shared routes (two-step.ts) for a creator account. /account/two-step turns it on,
// makes new recovery codes and turns it off (behind sign-in, creator.tsx requireCreator); /login/code is the step
// after a right password, which every way a creator's password signs them in leads to (creator.tsx: sign-in, a
// reset link, an invitation's first password). Its events go to the activity of each brand the creator joined.
import { Hono, type Context } from 'hono';
import { CREATOR_APP_ENTRY, CREATOR_RESET_ASK, CREATOR_TWO_STEP, CreatorCodePage, CreatorRecoveryCodesPage, CreatorTwoStepManagePage, CreatorTwoStepSetupPage } from '../../../portal/creator/two-step';
import { creatorAccountAudit } from '../../db/audit';
import { recoveryCodesLeft } from '../../db/two-step';
import { creatorForgotPlace, type AppEnv } from '../../env';
import type { ProvenAccount } from '../../lib/sessions';
import { flashOf, safeNext } from './guards';
import { codeStep, passwordProven, settingsFlashes, twoStepSettings, type PendingAccount, type TwoStepAccount, type TwoStepEvent } from './two-step';

export const CREATOR_CODE_PAGE = '/login/code';

// What a creator account is to the shared code: one account, whatever brands it works with.
function creatorTwoStepAccount<E extends AppEnv>(c: Context<E>, creator: { id: string; email: string }): TwoStepAccount {
  return {
    subject: { type: 'creator', id: creator.id },
    email: creator.email,
    entry: CREATOR_APP_ENTRY,
    place: 'your Chorus creator account',
    yours: 'your Chorus account',
    forgot: creatorForgotPlace(c),
    askForReset: CREATOR_RESET_ASK,
    // Shown on the sign-in code page and on the signed-in settings page alike.
    unreadableHelp: `${CREATOR_RESET_ASK[0]!.toUpperCase()}${CREATOR_RESET_ASK.slice(1)}.`,
    audit: (event: TwoStepEvent, now: number, byLimit = false) =>
      creatorAccountAudit(c.env.DB, creator.id, `creator.${event}`, now, byLimit ? { actor: { type: 'system', id: 'two-step-code' } } : { ifChanged: true }),
  };
}

// A password proved a creator account: the portal, or the code page first (two-step.ts passwordProven).
export const creatorPasswordProven = (c: Context<AppEnv>, account: ProvenAccount, next: string) => passwordProven(c, 'creator', account, next, CREATOR_CODE_PAGE);

// ---------- Sign-in: the code after the password ----------

const signInCode = codeStep<AppEnv, PendingAccount>({
  type: 'creator',
  read: async (c, id) => {
    const creator = await c.env.DB.prepare('SELECT id, email, password_hash FROM creators WHERE id = ? AND erased_at IS NULL AND password_hash IS NOT NULL').bind(id).first<{ id: string; email: string; password_hash: string }>();
    return creator ? { ...creatorTwoStepAccount(c, creator), id: creator.id, passwordHash: creator.password_hash } : null;
  },
  page: async (c, creator, error, status = 200) => c.html(<CreatorCodePage email={creator.email} error={error} />, status),
  expired: '/login?flash=code_expired',
  again: '/login?flash=sign_in_again',
  next: (raw) => safeNext(raw, '/'),
  recoveryUsed: `${CREATOR_TWO_STEP}?flash=recovery_used`,
});

export const creatorSignInCodeRoutes = new Hono<AppEnv>().get(CREATOR_CODE_PAGE, signInCode.show).post(CREATOR_CODE_PAGE, signInCode.take);

// ---------- Settings (signed in) ----------

// Behind creator.tsx requireCreator, which sets the signed-in creator's session and address.
type SignedInEnv = AppEnv & { Variables: { viewer: { email: string } } };
const emailOf = (c: Context<SignedInEnv>) => c.var.viewer.email;

const FLASHES = settingsFlashes();

const page = twoStepSettings<SignedInEnv>({
  action: CREATOR_TWO_STEP,
  account: (c) => {
    const { creatorId, sessionId } = c.var.creator;
    return {
      ...creatorTwoStepAccount(c, { id: creatorId, email: emailOf(c) }),
      sessionId,
      passwordHash: () => c.env.DB.prepare('SELECT password_hash FROM creators WHERE id = ? AND erased_at IS NULL').bind(creatorId).first<string | null>('password_hash'),
      live: { sql: 'EXISTS (SELECT 1 FROM creators WHERE id = ? AND erased_at IS NULL)', params: [creatorId] },
    };
  },
  setupPage: async (c, setup, errors, status = 200) => c.html(<CreatorTwoStepSetupPage email={emailOf(c)} setup={setup} flash={flashOf(FLASHES, c)} errors={errors} />, status),
  managePage: async (c, factor, errors, status = 200) => {
    const left = await recoveryCodesLeft(c.env.DB, { type: 'creator', id: c.var.creator.creatorId });
    return c.html(<CreatorTwoStepManagePage email={emailOf(c)} since={factor.created_at} left={left} flash={flashOf(FLASHES, c)} errors={errors} />, status);
  },
  codesPage: async (c, codes, first) => c.html(<CreatorRecoveryCodesPage email={emailOf(c)} codes={codes} first={first} />),
});

export const creatorTwoStepRoutes = new Hono<SignedInEnv>()
  .get(CREATOR_TWO_STEP, page.show)
  .post(CREATOR_TWO_STEP, page.turnOn)
  .post(`${CREATOR_TWO_STEP}/recovery`, page.newCodes)
  .post(`${CREATOR_TWO_STEP}/off`, page.turnOff);
