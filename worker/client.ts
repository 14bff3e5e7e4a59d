// A typed client for the admin and ingestion APIs. Routes, inputs and outputs are inferred from the
// worker's own route chains through hono's RPC client (`hc`): no generated code to fall out of date.
// Runs wherever fetch and Web Crypto do: Node 20+, browsers, Workers.
//
//   const chorus = createChorusClient({ baseUrl: 'https://chorus.example', adminKey });
//   const res = await chorus.admin.campaigns.$post({ json: { name, slug, hashtag, defaultDestination } });
//   await chorus.postConversion({ account: 'fernway', secret: ingestKey }, { orderId, amountMinor, currency, occurredAt });
import { hc } from 'hono/client';
import type { z } from 'zod';
import { signTimestamped } from './lib/signatures';
import type { AdminApp } from './routes/admin';
import type { conversionBody, IngestApp, refundBody } from './routes/ingest';

export type { AdminApp, IngestApp };
export type ConversionRequest = z.input<typeof conversionBody>;
export type RefundRequest = z.input<typeof refundBody>;
/** The brand's slug and an ingest-scope key (the secret that signs store calls). */
export type IngestSigner = { account: string; secret: string };

export type ChorusClientOptions = {
  baseUrl: string;
  /** An admin-scope key; needed only for `admin`. */
  adminKey?: string;
  /** Another fetch, e.g. a service binding's or a test's. */
  fetch?: typeof fetch;
};

export type SignedBody = { rawBody: string; headers: Record<string, string> };

// Signs the exact bytes that will be sent: Chorus-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>.
export async function signedRequest(signer: IngestSigner, body: unknown, now = Date.now()): Promise<SignedBody> {
  const rawBody = JSON.stringify(body);
  return {
    rawBody,
    headers: { 'Content-Type': 'application/json', 'Chorus-Account': signer.account, 'Chorus-Signature': await signTimestamped(signer.secret, rawBody, now) },
  };
}

/** For POST /v1/conversions with any HTTP client: send `rawBody` byte for byte with `headers`. */
export const signedConversion = (signer: IngestSigner, order: ConversionRequest, now?: number) => signedRequest(signer, order, now);
/** For POST /v1/refunds with any HTTP client: send `rawBody` byte for byte with `headers`. */
export const signedRefund = (signer: IngestSigner, refund: RefundRequest, now?: number) => signedRequest(signer, refund, now);

export function createChorusClient({ baseUrl, adminKey, fetch }: ChorusClientOptions) {
  const base = baseUrl.replace(/\/+$/, '');
  const admin = hc<AdminApp>(`${base}/api/admin`, { fetch, headers: adminKey ? { Authorization: `Bearer ${adminKey}` } : {} });
  const ingest = hc<IngestApp>(`${base}/v1`, { fetch });
  return {
    admin,
    ingest,
    /** Records an order (201 new, 200 exact replay, 409 same id with another payload). */
    async postConversion(signer: IngestSigner, order: ConversionRequest, now?: number) {
      const signed = await signedConversion(signer, order, now);
      // `json` types the call; `init.body` sends the very string that was signed.
      return ingest.conversions.$post({ json: order }, { headers: signed.headers, init: { body: signed.rawBody } });
    },
    /** Records a refund (201 new, 200 exact replay, 409 same id with another payload). */
    async postRefund(signer: IngestSigner, refund: RefundRequest, now?: number) {
      const signed = await signedRefund(signer, refund, now);
      return ingest.refunds.$post({ json: refund }, { headers: signed.headers, init: { body: signed.rawBody } });
    },
  };
}

export type ChorusClient = ReturnType<typeof createChorusClient>;
