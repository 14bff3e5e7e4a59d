// What a creator sends from a campaign's public application page, read into a row the roster import can take.
// Every field is checked here; the page names each problem against its field.
import { cleanEmail, CREATOR_FIELDS, HANDLE, isEmail } from './creator-import';
import { plainText } from '../lib/validate';

export const PLATFORMS = { instagram: 'Instagram', tiktok: 'TikTok', youtube: 'YouTube', other: 'Another platform' } as const;
export type Platform = keyof typeof PLATFORMS;
export const PITCH_MAX = 1000;

export type ApplicationInput = {
  name: string;
  email: string;
  handle: string;
  platform: Platform;
  followerCount: number | null;
  niche: string | null;
  profileUrl: string | null;
  pitch: string;
};

/** The form as typed, to show back when something needs fixing. */
export type ApplicationForm = Record<'name' | 'email' | 'handle' | 'platform' | 'followers' | 'niche' | 'profileUrl' | 'pitch', string>;
export type FieldError = { field: keyof ApplicationForm; text: string };

export const FIELDS = ['name', 'email', 'handle', 'platform', 'followers', 'niche', 'profileUrl', 'pitch'] as const;

// Audience size as people write it: 18500, 18,500, 18.500, 18 500, 18.5k, 1.2M.
// The inbox an address reaches, as mail providers deliver: without a +tag (sarah+1@ and sarah+2@ are one
// inbox), and for Gmail without dots too. Only for counting mail to one person; the address stays as typed.
export function inboxOf(email: string): string {
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1).toLowerCase();
  let local = email.slice(0, at).toLowerCase();
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  return domain === 'gmail.com' || domain === 'googlemail.com' ? `${local.replaceAll('.', '')}@gmail.com` : `${local}@${domain}`;
}

export function readFollowers(raw: string): number | null | 'invalid' {
  const s = raw.trim().toLowerCase().replace(/\s+/g, '');
  if (s === '') return null;
  const short = /^(\d{1,4}(?:[.,]\d{1,3})?)([km])$/.exec(s);
  if (short) {
    const [whole, fraction = ''] = short[1]!.split(/[.,]/);
    const scale = short[2] === 'k' ? 1_000 : 1_000_000;
    // Integer arithmetic: 18.5k is 18 × 1000 + 5 × 100.
    return Number(whole) * scale + Math.round((Number(fraction || '0') * scale) / 10 ** fraction.length);
  }
  if (!/^\d{1,3}(?:([,. ])\d{3})*$|^\d{1,10}$/.test(s)) return 'invalid';
  const n = Number(s.replace(/[,. ]/g, ''));
  return n <= 1_000_000_000 ? n : 'invalid';
}

// A profile link: https (an http one is read as its https address), a real host, no credentials, at most 300
// characters. Shown to the brand as a link.
export function readProfileUrl(raw: string): string | null | 'invalid' {
  const s = raw.trim();
  if (s === '') return null;
  if (s.length > 300 || /[\s\\]/.test(s)) return 'invalid';
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:/i.test(s) ? s : `https://${s}`);
  } catch {
    return 'invalid';
  }
  if (url.protocol === 'http:') url.protocol = 'https:';
  if (url.protocol !== 'https:' || url.username || url.password || !url.hostname.includes('.')) return 'invalid';
  return url.href;
}

const pitchText = plainText(PITCH_MAX, 'many', `At most ${PITCH_MAX} characters.`);
const nicheText = CREATOR_FIELDS.niche;

export function readApplication(form: ApplicationForm): { input: ApplicationInput } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const fail = (field: keyof ApplicationForm, text: string) => errors.push({ field, text });
  const name = CREATOR_FIELDS.displayName.safeParse(form.name);
  if (!name.success) fail('name', form.name.trim() === '' ? 'Enter your name.' : 'Your name: up to 80 characters on one line.');
  const email = cleanEmail(form.email);
  if (!isEmail(email)) fail('email', 'An email address we can send your invitation to.');
  const handle = form.handle.trim().replace(/^@/, '').toLowerCase();
  if (!HANDLE.test(handle)) fail('handle', 'Your handle: 2-30 letters, digits, _, . or -, starting and ending with a letter, digit or _.');
  const platform = Object.hasOwn(PLATFORMS, form.platform) ? (form.platform as Platform) : null;
  if (!platform) fail('platform', 'Choose where you post.');
  const followers = readFollowers(form.followers);
  if (followers === 'invalid') fail('followers', 'Followers as a number, like 18500 or 18.5k.');
  const niche = nicheText.safeParse(form.niche);
  if (!niche.success) fail('niche', 'Your niche: up to 60 characters on one line.');
  const profileUrl = readProfileUrl(form.profileUrl);
  if (profileUrl === 'invalid') fail('profileUrl', 'A link to your profile that starts with https://.');
  const pitch = pitchText.safeParse(form.pitch);
  if (!pitch.success) fail('pitch', `Why you: up to ${PITCH_MAX} characters.`);
  if (errors.length > 0 || !name.success || !platform || followers === 'invalid' || !niche.success || profileUrl === 'invalid' || !pitch.success) return { errors };
  return { input: { name: name.data, email, handle, platform, followerCount: followers, niche: niche.data || null, profileUrl, pitch: pitch.data } };
}
