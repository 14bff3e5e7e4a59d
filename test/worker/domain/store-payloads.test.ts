import { describe, expect, it } from 'vitest';
import { decimalToMinor, shopifyOrder, stripeChargeRefunds } from '../../../worker/domain/store-payloads';

describe('decimalToMinor', () => {
  it.each([
    ['84.15', 'USD', 8415],
    ['84.1', 'USD', 8410],
    ['84', 'USD', 8400],
    ['0.10', 'EUR', 10],
    ['1500', 'JPY', 1500],
    ['1.234', 'KWD', 1234],
    ['19.990000', 'USD', 1999],
  ])('%s %s → %i', (amount, currency, minor) => {
    expect(decimalToMinor(amount, currency)).toBe(minor);
  });

  it.each([['84.155', 'USD'], ['-1.00', 'USD'], ['1e3', 'USD'], ['', 'USD'], ['12.5', 'JPY'], [null, 'USD'], [' 1,000.00', 'USD']])('rejects %s %s', (amount, currency) => {
    expect(decimalToMinor(amount, currency)).toBeNull();
  });
});

describe('store payloads', () => {
  it('takes the click id from a note attribute before the landing site', () => {
    const order = { id: 1, currency: 'usd', subtotal_price: '10.00', created_at: '2026-11-20T10:00:00Z', landing_site: '/?cid=fromLandingSite00001', note_attributes: [{ name: 'chorus_cid', value: 'fromNoteAttribute0001' }] };
    const parsed = shopifyOrder(order, 'cid');
    expect(parsed.ok && parsed.value.clickId).toBe('fromNoteAttribute0001');
    const withoutNote = shopifyOrder({ ...order, note_attributes: [] }, 'cid');
    expect(withoutNote.ok && withoutNote.value.clickId).toBe('fromLandingSite00001');
    expect(shopifyOrder({ ...order, subtotal_price: 'free' }, 'cid').ok).toBe(false);
  });

  it('falls back to the cumulative amount refunded when a charge lists no refunds', () => {
    const charge = { id: 'ch_1', payment_intent: 'pi_1', currency: 'usd', amount_refunded: 3000, created: 1 };
    expect(stripeChargeRefunds(charge, 1000, 5)).toEqual({ ok: true, value: [{ refundId: 'ch_1@3000', orderId: 'pi_1', amountMinor: 2000, currency: 'USD', occurredAt: 5 }] });
    expect(stripeChargeRefunds(charge, 3000, 5)).toEqual({ ok: true, value: [] });
  });
});
