// The creator portal's test helpers: an invite's mailed link, and a creator signed in through it.
import { expect, vi, afterEach } from 'vitest';
import { logTransport, setTransport, type Message } from '../../worker/lib/messages';
import { createMoneyBrand, json, type TestBrand } from './fixtures';
import { post, sessionCookie } from './forms';

export const PASSWORD = 'a long enough password';

export async function invitePath(brand: TestBrand, creatorId: string): Promise<string> {
  const invite = await json<{ data: { inviteUrl: string } }>(await brand.api('POST', `/api/admin/creators/${creatorId}/invite`));
  return new URL(invite.data.inviteUrl).pathname;
}

// What the invite page's button mails: the reset link, which only the account's address receives.
export async function mailedLink(invite: string, ip?: string): Promise<{ res: Response; link: string | null; to: string | null }> {
  const sent: Message[] = [];
  setTransport(async (msg) => void sent.push(msg));
  const res = await post(`${invite}/email`, {}, { ip });
  setTransport(logTransport);
  const text = sent[0]?.text ?? '';
  const url = /https?:\/\/\S+/.exec(text)?.[0];
  return { res, link: url ? new URL(url).pathname : null, to: sent[0]?.to ?? null };
}

// A money brand whose creator set a password through the invite's mailed link, accepted the brand on
// their home page, and is signed in.
export async function signedInCreator(opts: Parameters<typeof createMoneyBrand>[0] = {}) {
  const m = await createMoneyBrand({ accepted: false, ...opts });
  const { link } = await mailedLink(await invitePath(m.brand, m.creator.id));
  const res = await post(link!, { password: PASSWORD, confirm: PASSWORD });
  expect(res.status).toBe(303);
  const cookie = sessionCookie(res);
  expect((await post(`/invitations/${m.enrollment.id}/accept`, {}, { cookie })).status).toBe(303);
  return { ...m, cookie, resetPath: link!, email: `${m.handle}@creators.test` };
}

// Most portal tests sign a creator in through the mailed link: a password hashed at full strength, about a
// second, and several seconds when CI runs other files beside this one. 5 s was the edge.
export function portalTestDefaults() {
  vi.setConfig({ testTimeout: 15_000 });
  afterEach(() => {
    vi.restoreAllMocks();
    setTransport(logTransport);
  });
}
