// Store webhooks. Both adapters verify the raw body before reading it, translate the payload into
// the same conversion and refund inputs as the signed API, and answer 200 to anything already
// recorded, so the store's own retries settle.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { recordConversion, recordRefund } from '../db/conversions';
import type { ConversionInput, RefundInput } from '../domain/orders';
import { shopifyOrder, shopifyRefund, stripeChargeRefunds, stripeCheckoutSession, type Parsed } from '../domain/store-payloads';
import type { AppEnv } from '../env';
import { integrationBrand, type SigningBrand } from '../lib/brand-secrets';
import { ApiError } from '../lib/errors';
import { log } from '../lib/log';
import { verifyShopifyHmac, verifyTimestampedSignature } from '../lib/signatures';
import { routeDescriber } from '../openapi/registry';
import { WebhookReceipt } from '../openapi/schemas';

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'malformed_request', 'The body is not valid JSON.');
  }
}

function unprocessable<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new ApiError(422, 'unsupported_payload', 'The payload is missing fields Chorus needs.', { reason: parsed.reason });
  return parsed.value;
}

// What a store's retry cannot change is acknowledged (200) and logged, never an endless retry loop: an order
// edited after we recorded it, or one in another currency than the brand's (a store whose webhook keeps
// failing drops the subscription or the endpoint).
const IGNORED: Record<string, string | undefined> = { idempotency_conflict: 'webhook_conflict_ignored', currency_mismatch: 'webhook_currency_ignored' };

async function settle<T>(work: Promise<T>): Promise<{ result: T | null; ignored?: string }> {
  try {
    return { result: await work };
  } catch (e) {
    const event = e instanceof ApiError ? IGNORED[e.code] : undefined;
    if (!event || !(e instanceof ApiError)) throw e;
    log.warn(event, { error: e });
    return { result: null, ignored: e.code };
  }
}

async function brandClickParam(c: Context<AppEnv>, brand: SigningBrand): Promise<string> {
  const row = await c.env.DB.prepare('SELECT click_param FROM brands WHERE id = ?').bind(brand.id).first<{ click_param: string }>();
  return row?.click_param ?? 'cid';
}

const op = routeDescriber({ tag: 'Store webhooks', auth: null });

const receipt = {
  200: {
    description: 'Received. Orders and refunds answer with what was recorded (or already was); other topics are acknowledged and ignored, so the store stops retrying.',
    schema: WebhookReceipt,
  },
} as const;

export const webhooks = new Hono<AppEnv>()
  .post(
    '/shopify',
    op({
      summary: 'Shopify order and refund webhooks',
      description:
        'Point the Shopify webhooks `orders/create` (or `orders/paid`) and `refunds/create` here, JSON format. The raw body is verified with the shop\'s webhook secret before it is read; the click id comes from the order\'s `chorus_cid` note attribute (set by /sdk.js) or its landing site URL, the code from its discount codes.',
      auth: 'shopifyHmac',
      headers: z.object({
        'X-Shopify-Shop-Domain': z.string().meta({ description: 'The shop, e.g. fernway.myshopify.com; must match a connected integration.', examples: ['fernway.myshopify.com'] }),
        'X-Shopify-Topic': z.string().meta({ description: 'orders/create, orders/paid or refunds/create; any other topic is acknowledged and ignored.', examples: ['orders/create'] }),
      }),
      bodyDescription: 'The order or refund resource exactly as Shopify sends it.',
      responses: receipt,
      errors: { 422: ['unsupported_payload'] },
    }),
    async (c) => {
      const shop = c.req.header('x-shopify-shop-domain') ?? '';
      const raw = await c.req.text();
      const brand = /^[a-z0-9][a-z0-9.-]{1,99}$/.test(shop) ? await integrationBrand(c.env, 'shopify', shop) : null;
      const check = await verifyShopifyHmac(c.req.header('x-shopify-hmac-sha256'), raw, brand?.secrets[0] ?? 'no-such-shop-secret-000000000000');
      if (!check.ok || !brand) throw new ApiError(401, 'invalid_signature', 'The X-Shopify-Hmac-Sha256 header did not verify.', { reason: check.ok ? 'mismatch' : check.reason });
      const topic = c.req.header('x-shopify-topic');
      const payload = parseJson(raw);
      if (topic === 'orders/create' || topic === 'orders/paid') {
        const input: ConversionInput = unprocessable(shopifyOrder(payload, await brandClickParam(c, brand)));
        const { result, ignored } = await settle(recordConversion(c.env.DB, brand, input, 'shopify'));
        return c.json({ received: true, data: result?.data ?? null, ...(ignored ? { ignored } : {}) });
      }
      if (topic === 'refunds/create') {
        const input: RefundInput = unprocessable(shopifyRefund(payload, brand.currency));
        const { result, ignored } = await settle(recordRefund(c.env.DB, brand, input, 'shopify'));
        return c.json({ received: true, data: result?.data ?? null, ...(ignored ? { ignored } : {}) });
      }
      return c.json({ received: true, ignored: 'topic' });
    },
  )
  .post(
    '/stripe/:account',
    op({
      summary: 'Stripe checkout and refund webhooks',
      description:
        'Point a Stripe webhook endpoint with the events `checkout.session.completed` and `charge.refunded` here. The Stripe-Signature header is verified against the endpoint secret connected for `account` before the body is read. Orders carry the click id and code in the Checkout Session metadata (`chorus_cid`, `chorus_code`; or the click id as `client_reference_id`).',
      auth: 'stripeSignature',
      params: { account: 'The name the brand connected its Stripe account under (POST /api/admin/integrations with provider stripe).' },
      bodyDescription: 'The Stripe event exactly as Stripe sends it.',
      responses: receipt,
      errors: { 422: ['unsupported_payload'] },
    }),
    async (c) => {
      const account = c.req.param('account');
      const raw = await c.req.text();
      const brand = /^[a-z0-9][a-z0-9.-]{1,99}$/.test(account) ? await integrationBrand(c.env, 'stripe', account) : null;
      const check = await verifyTimestampedSignature(c.req.header('stripe-signature'), raw, brand?.secrets ?? [], Date.now());
      if (!check.ok) throw new ApiError(401, 'invalid_signature', 'The Stripe-Signature header did not verify.', { reason: check.reason });
      if (!brand) throw new ApiError(401, 'invalid_signature', 'The Stripe-Signature header did not verify.', { reason: 'mismatch' });
      const event = parseJson(raw) as { type?: unknown; data?: { object?: unknown } };
      const object = event?.data?.object;
      if (event?.type === 'checkout.session.completed') {
        const input = unprocessable(stripeCheckoutSession(object));
        const { result, ignored } = await settle(recordConversion(c.env.DB, brand, input, 'stripe'));
        return c.json({ received: true, data: result?.data ?? null, ...(ignored ? { ignored } : {}) });
      }
      if (event?.type === 'charge.refunded') {
        const orderId = typeof (object as { payment_intent?: unknown })?.payment_intent === 'string' ? (object as { payment_intent: string }).payment_intent : '';
        const already = await c.env.DB.prepare("SELECT COALESCE(SUM(amount_minor), 0) AS n FROM refunds WHERE brand_id = ? AND external_order_id = ? AND source = 'stripe'")
          .bind(brand.id, orderId)
          .first<{ n: number }>();
        const inputs = unprocessable(stripeChargeRefunds(object, already?.n ?? 0, Date.now()));
        const data = [];
        let ignored: string | undefined;
        for (const input of inputs) {
          const settled = await settle(recordRefund(c.env.DB, brand, input, 'stripe'));
          data.push(settled.result?.data ?? null);
          ignored ??= settled.ignored;
        }
        return c.json({ received: true, data, ...(ignored ? { ignored } : {}) });
      }
      return c.json({ received: true, ignored: 'event_type' });
    },
  );
