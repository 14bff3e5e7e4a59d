// Signed server-to-server calls from a brand's store: POST /v1/conversions, POST /v1/refunds and POST /v1/refunds/failures.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { recordConversion, recordRefund, recordRefundFailure } from '../db/conversions';
import { MAX_AMOUNT_MINOR } from '../db/money';
import { EARLIEST_OCCURRED_AT, EXTERNAL_ID, MAX_FUTURE_MS } from '../domain/orders';
import type { AppEnv } from '../env';
import { ingestBrand, type SigningBrand } from '../lib/brand-secrets';
import { ApiError } from '../lib/errors';
import { usedBy } from '../lib/last-used';
import { verifyTimestampedSignature } from '../lib/signatures';
import { isCleanText } from '../lib/validate';
import { routeDescriber } from '../openapi/registry';
import { Conversion, dataOf, Refund } from '../openapi/schemas';

const externalId = z.string().regex(EXTERNAL_ID, 'printable ASCII, 1-128 characters');
const currency = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code');
const amountMinor = z.int().min(1).max(MAX_AMOUNT_MINOR);
// Stored, shown in the console and exported: no control or broken characters.
const cleanText = (max: number) => z.string().max(max).refine(isCleanText, 'No control characters or broken characters.');
const occurredAt = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

export const conversionBody = z.strictObject({
  orderId: externalId.meta({ description: 'Your order id, unique per brand: the idempotency key.' }),
  amountMinor: amountMinor.meta({ description: 'The order amount in minor units of `currency` (4999 is 49.99 USD).' }),
  currency: currency.meta({ description: 'ISO 4217, upper case.' }),
  occurredAt: occurredAt.meta({ description: 'When the order was placed, ISO 8601 with an offset; from 2000 to at most 24 hours ahead of our clock.' }),
  code: cleanText(64).nullable().default(null).meta({ description: 'The discount code the shopper used, as typed; matched case-insensitively.' }),
  clickId: cleanText(64).nullable().default(null).meta({ description: 'The click id the landing URL carried (`cid`; /sdk.js keeps it for checkout). A click not stored yet (clicks arrive seconds behind the redirect) credits the order when it lands, with a `conversion.attributed` webhook.' }),
  customerRef: cleanText(128)
    .nullable()
    .default(null)
    .meta({
      description:
        "Your id of the customer, stored with the order: stable and unique per customer; null for guests (blank counts as none). With a campaign's `returningCustomerMonths`, it lets the customer's later orders without a code or click earn the creator who brought them.",
    }),
  // Evidence, not part of the order: a text that is no address is simply no evidence (an order is never refused
  // over it), and it is left out of the payload a replay is compared by (db/conversions.ts payloadHash).
  customerEmail: z
    .string()
    .max(254)
    .nullable()
    .optional()
    .meta({
      description:
        "The customer's email. Compared with the credited creator's email (case, a +tag and Gmail's dots aside) and never stored, nor hashed: a creator's own order earns no commission unless the brand allows it (see `selfPurchase`). Something that is not an address counts as none. Not part of the payload a replay repeats: the order sent again with another email replays as recorded.",
    }),
});

export const refundBody = z.strictObject({
  refundId: externalId.meta({ description: 'Your refund id, unique per brand: the idempotency key.' }),
  orderId: externalId.meta({ description: 'The order it refunds; the refund waits (pending) if the order has not arrived yet.' }),
  amountMinor: amountMinor.meta({ description: 'The refunded amount in minor units of `currency`.' }),
  currency: currency.meta({ description: 'ISO 4217, upper case.' }),
  occurredAt: occurredAt.meta({ description: 'When the refund was made, ISO 8601 with an offset.' }),
});

// The refund id is in the signed body, not the path: the signature covers the body only.
export const refundFailureBody = z.strictObject({
  refundId: externalId.meta({ description: 'The id of a refund you posted to POST /v1/refunds.' }),
  occurredAt: occurredAt.meta({ description: 'When the refund failed or was cancelled, ISO 8601 with an offset; not before the refund.' }),
});

function invalidSignature(reason: string): ApiError {
  return new ApiError(401, 'invalid_signature', 'The Chorus-Signature header did not verify.', { reason });
}

// Verify before parsing: an unsigned body is never read as JSON.
async function signedBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<{ brand: SigningBrand; body: z.output<S> }> {
  const account = c.req.header('chorus-account') ?? '';
  // Which brand signs is the one thing a call can leave out by mistake and be told so plainly.
  if (account === '') throw new ApiError(401, 'invalid_signature', 'The Chorus-Account header is missing: send your brand slug with the signature.', { reason: 'missing_account' });
  const raw = await c.req.text();
  const brand = /^[a-z0-9][a-z0-9-]{0,62}$/.test(account) ? await ingestBrand(c.env, account) : null;
  const check = await verifyTimestampedSignature(c.req.header('chorus-signature'), raw, brand?.secrets ?? [], Date.now());
  if (!check.ok) throw invalidSignature(check.reason);
  if (!brand) throw invalidSignature('mismatch');
  usedBy(c, 'key', brand.secretIds[check.secret]!);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'malformed_request', 'The body is not valid JSON.');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ApiError(422, 'validation_failed', 'The request did not pass validation.', {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const body = parsed.data as z.output<S> & { occurredAt: number };
  if (body.occurredAt > Date.now() + MAX_FUTURE_MS) {
    throw new ApiError(422, 'validation_failed', 'occurredAt is in the future.', { issues: [{ path: 'occurredAt', message: 'in the future' }] });
  }
  if (body.occurredAt < EARLIEST_OCCURRED_AT) {
    throw new ApiError(422, 'validation_failed', 'occurredAt is before 2000.', { issues: [{ path: 'occurredAt', message: 'before 2000-01-01' }] });
  }
  return { brand, body };
}

const op = routeDescriber({ tag: 'Ingestion', auth: 'chorusSignature' });

const signedCall =
  'Sign the exact bytes you send: `Chorus-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(ingest secret, "<t>.<raw body>")>`, within 300 s of our clock, with `Chorus-Account: <brand slug>`. Several `v1=` values are accepted while you rotate secrets.';

export const ingest = new Hono<AppEnv>()
  .post(
    '/conversions',
    op({
      summary: 'Record an order',
      description: `${signedCall} The order is attributed (a redeemable code beats a click within the attribution window, which beats none), priced against the creator's commission tier (a creator's own order, by \`customerEmail\`, earns 0 with \`commission.reason: "self_purchase"\` unless the brand allows it), and written once: 201 when new, 200 when the same order id arrives again with the same payload (with its attribution as it stands now), 409 when it arrives with a different one. A 503 is safe to retry with the same payload.`,
      body: conversionBody,
      example: { orderId: 'order-1001', amountMinor: 4999, currency: 'USD', occurredAt: '2026-05-04T09:30:00Z', code: 'SARAH15', clickId: null, customerRef: null, customerEmail: 'dana@example.com' },
      responses: {
        201: { description: 'Recorded now.', schema: dataOf(Conversion) },
        200: { description: 'Already recorded with this exact payload (a safe replay).', schema: dataOf(Conversion) },
      },
      errors: { 409: ['idempotency_conflict'], 422: ['currency_mismatch'] },
    }),
    async (c) => {
      const { brand, body } = await signedBody(c, conversionBody);
      const result = await recordConversion(c.env.DB, brand, body, 'api');
      return c.json({ data: result.data }, result.created ? 201 : 200);
    },
  )
  .post(
    '/refunds',
    op({
      summary: 'Record a refund',
      description: `${signedCall} Reverses the commission of the order proportionally with a new negative ledger entry (paid entries are never edited). A refund that arrives before its order is kept pending and applied when the order lands (the console's Orders page lists refunds still waiting for their order). A refund of an order refunded in full already is a 422 \`order_refunded_in_full\`; one for more than the order has left (tax or shipping included) takes back the rest of its commission.`,
      body: refundBody,
      example: { refundId: 'refund-77', orderId: 'order-1001', amountMinor: 4999, currency: 'USD', occurredAt: '2026-05-06T14:00:00Z' },
      responses: {
        201: { description: 'Recorded now.', schema: dataOf(Refund) },
        200: { description: 'Already recorded with this exact payload (a safe replay).', schema: dataOf(Refund) },
      },
      errors: { 409: ['idempotency_conflict'], 422: ['currency_mismatch', 'refund_before_order', 'order_refunded_in_full'] },
    }),
    async (c) => {
      const { brand, body } = await signedBody(c, refundBody);
      const result = await recordRefund(c.env.DB, brand, body, 'api');
      return c.json({ data: result.data }, result.created ? 201 : 200);
    },
  )
  .post(
    '/refunds/failures',
    op({
      summary: 'Report a failed refund',
      description: `${signedCall} A refund you posted failed or was cancelled (the card was closed, say): the money went back to you, so the creator earns again what the refund took back. Its reversal is not edited (it may be in a paid payout): a new positive entry (\`givenBack\`) gives back what the order's reversals took beyond the share of the refunds still standing (usually what this refund's reversal took; nothing when another refund still covers the whole order), in the period of the failure and never payable before any of the order's reversals, with the tier revenue it took and, if that brings the month to the performance-bonus threshold with no bonus held, the bonus. Later refunds of the order reverse their share as if the failed one had never been made. A refund still waiting for its order never reverses anything. 201 when this call failed it, 200 when it had failed already at the same time (a safe replay), 409 \`idempotency_conflict\` at another time; 404 \`refund_not_found\` for a refund id this brand never posted; 422 \`failure_before_refund\` for a time before the refund's; 409 \`refund_from_stripe\` for a refund Stripe's webhooks recorded (slices of the charge's refunded total, which this call cannot fail one by one: Stripe's own \`refund.failed\` gives those back, see the Stripe webhook).`,
      body: refundFailureBody,
      example: { refundId: 'refund-77', occurredAt: '2026-05-12T08:00:00Z' },
      responses: {
        201: { description: 'Failed now; `givenBack` is what the creator earns again.', schema: dataOf(Refund) },
        200: { description: 'Failed already at this time (a safe replay).', schema: dataOf(Refund) },
      },
      errors: { 404: ['refund_not_found'], 409: ['idempotency_conflict', 'refund_from_stripe'], 422: ['failure_before_refund'] },
    }),
    async (c) => {
      const { brand, body } = await signedBody(c, refundFailureBody);
      const result = await recordRefundFailure(c.env.DB, brand, body);
      return c.json({ data: result.data }, result.created ? 201 : 200);
    },
  );

export type IngestApp = typeof ingest;
