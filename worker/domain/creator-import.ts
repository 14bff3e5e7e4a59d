// Reads a brand's creator roster CSV into rows ready to import, or row-level errors with line numbers.
import { z } from 'zod';
import type { CsvRecord } from '../lib/csv';
import { plainText } from '../lib/validate';
import { typedAmountToMinor } from './store-payloads';
import { MAX_TAGS_PER_CREATOR, readTagSet, splitTagList, TAG_RULE } from './creator-tags';

export const IMPORT_COLUMNS = ['email', 'handle', 'name', 'niche', 'platform', 'follower_count', 'payment_model', 'flat_fee', 'brief_section', 'tags'] as const;
const REQUIRED = ['email', 'handle', 'name'] as const;
const MODELS = ['product', 'affiliate', 'flat', 'hybrid'] as const;
export const MAX_IMPORT_ROWS = 1000;

export type ImportRow = {
  line: number;
  email: string;
  handle: string;
  name: string;
  niche: string | null;
  platform: string | null;
  followerCount: number | null;
  paymentModel: (typeof MODELS)[number];
  flatFeeMinor: number;
  briefSection: string;
  // The brand's tags for them (domain/creator-tags.ts), added to any they have: an import never removes one.
  tags: string[];
};

export type RowError = { line: number; field: string; message: string };

export type ImportPlan = { rows: ImportRow[]; errors: RowError[] };

// The same rule as the admin API's (z.email()), after the same clean-up a pasted address needs: NFKC and no
// invisible format characters (a zero-width space would otherwise make a second account for one person).
export const isEmail = (s: string) => s.length <= 254 && z.email().safeParse(s).success;
export const cleanEmail = (s: string) => s.normalize('NFKC').replace(/\p{Cf}/gu, '').trim().toLowerCase();
// A creator's handle as the platforms write them: Instagram and TikTok use dots, YouTube dashes. 2-30
// characters, starting and ending with a letter, digit or _. Their links read it with - for . and _ (linkSlugFor),
// their codes without the dots and dashes (codeFromPattern).
export const HANDLE = /^(?=.{2,30}$)[a-z0-9_](?:[a-z0-9._-]*[a-z0-9_])?$/;
export const HANDLE_RULE = 'Handles are 2-30 lowercase letters, digits, _, . or -, starting and ending with a letter, digit or _.';

const clean = (s: string | undefined) => (s ?? '').trim();

// A creator's fields as the admin API and the roster import both take them.
export const CREATOR_FIELDS = {
  displayName: plainText(80).min(1),
  niche: plainText(60),
  platform: plainText(30),
  followerCount: z.int().min(0).max(1_000_000_000),
  briefSection: plainText(4000, 'many'),
};

export function planImport(records: CsvRecord[], currency: string): ImportPlan | { headerError: string } {
  const [header, ...body] = records;
  if (!header) return { headerError: 'The file is empty.' };
  const names = header.cells.map((h) => h.trim().toLowerCase().replace(/[\s-]+/g, '_'));
  const missing = REQUIRED.filter((r) => !names.includes(r));
  if (missing.length > 0) return { headerError: `Missing column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}. Expected: ${IMPORT_COLUMNS.join(', ')}.` };
  const unknown = names.filter((n) => n !== '' && !(IMPORT_COLUMNS as readonly string[]).includes(n));
  if (unknown.length > 0) return { headerError: `Unknown column${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Expected: ${IMPORT_COLUMNS.join(', ')}.` };
  if (body.length > MAX_IMPORT_ROWS) return { headerError: `At most ${MAX_IMPORT_ROWS} creators per file; this one has ${body.length}.` };

  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  const seenEmails = new Map<string, number>();
  const seenHandles = new Map<string, number>();
  for (const record of body) {
    const get = (col: string) => clean(record.cells[names.indexOf(col)]);
    const rowErrors: RowError[] = [];
    const fail = (field: string, message: string) => rowErrors.push({ line: record.line, field, message });
    const email = cleanEmail(get('email'));
    const handle = get('handle').replace(/^@/, '').toLowerCase();
    const text = (col: string, schema: z.ZodType<string>, message: string) => {
      const read = schema.safeParse(get(col));
      if (!read.success) fail(col, message);
      return read.data ?? '';
    };
    if (!isEmail(email)) fail('email', 'Not an email address.');
    if (!HANDLE.test(handle)) fail('handle', HANDLE_RULE);
    const name = text('name', CREATOR_FIELDS.displayName, 'A name of 1-80 characters on one line is required.');
    const model = (get('payment_model') || 'affiliate').toLowerCase();
    if (!(MODELS as readonly string[]).includes(model)) fail('payment_model', `Use one of: ${MODELS.join(', ')}.`);
    // Thousands grouped with commas, as spreadsheets write them ("1,250.50"), are read as the plain amount; what
    // reads two ways ("250,00", "5.000") is refused, as in the console's forms.
    const fee = typedAmountToMinor(get('flat_fee') || '0', currency);
    if (fee === null || fee > 100_000_000) fail('flat_fee', `A plain amount in ${currency}, like 250 or 250.00.`);
    if ((model === 'flat' || model === 'hybrid') && fee === 0) fail('flat_fee', `A ${model} creator needs a flat fee.`);
    const followersText = get('follower_count').replace(/[,_\s]/g, '');
    const followers = followersText === '' ? null : /^\d{1,10}$/.test(followersText) ? Number(followersText) : NaN;
    if (followers !== null && !CREATOR_FIELDS.followerCount.safeParse(followers).success) fail('follower_count', 'A whole number of followers, up to 1,000,000,000.');
    const brief = text('brief_section', CREATOR_FIELDS.briefSection, 'At most 4,000 characters, with no control characters.');
    const niche = text('niche', CREATOR_FIELDS.niche, 'At most 60 characters on one line.');
    const platform = text('platform', CREATOR_FIELDS.platform, 'At most 30 characters on one line.');
    const tags = readTagSet(splitTagList(get('tags')));
    if (!tags.ok) fail('tags', tags.code === 'invalid_tag' ? `“${tags.tag}” is not a tag. ${TAG_RULE} Separate tags with ; or ,.` : `At most ${MAX_TAGS_PER_CREATOR} tags a creator.`);
    if (rowErrors.length === 0) {
      const emailLine = seenEmails.get(email);
      const handleLine = seenHandles.get(handle);
      if (emailLine) fail('email', `Same email as line ${emailLine}.`);
      if (handleLine) fail('handle', `Same handle as line ${handleLine}.`);
    }
    if (rowErrors.length > 0) {
      errors.push(...rowErrors);
      continue;
    }
    seenEmails.set(email, record.line);
    seenHandles.set(handle, record.line);
    rows.push({
      line: record.line,
      email,
      handle,
      name,
      niche: niche || null,
      platform: platform || null,
      followerCount: followers,
      paymentModel: model as ImportRow['paymentModel'],
      flatFeeMinor: fee ?? 0,
      briefSection: brief,
      tags: tags.ok ? tags.tags : [],
    });
  }
  return { rows, errors };
}
