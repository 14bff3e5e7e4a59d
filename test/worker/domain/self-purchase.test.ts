import { describe, expect, it } from 'vitest';
import { isCreatorsOwn, mailboxOf, selfPurchaseOutcome } from '../../../worker/domain/self-purchase';

describe('mailboxOf', () => {
  it.each([
    ['  Sarah@Creators.Example ', 'sarah@creators.example'],
    ['sarah+shop@creators.example', 'sarah@creators.example'],
    ['s.a.rah@creators.example', 's.a.rah@creators.example'], // dots count outside Gmail
    ['S.a.Rah+glow@Gmail.com', 'sarah@gmail.com'],
    ['s.arah@googlemail.com', 'sarah@gmail.com'],
    ['"odd@local"@example.com', '"odd@local"@example.com'],
  ])('%s → %s', (email, mailbox) => expect(mailboxOf(email)).toBe(mailbox));

  it.each(['', 'sarah', '@creators.example', 'sarah@', '+tag@gmail.com', '...@gmail.com'])('%j is no mailbox', (email) => expect(mailboxOf(email)).toBeNull());
});

describe('isCreatorsOwn', () => {
  it("matches the creator's mailbox whatever case, +tag or Gmail dots the customer typed", () => {
    expect(isCreatorsOwn('SARAH@creators.example', 'sarah@creators.example')).toBe(true);
    expect(isCreatorsOwn('sarah+second@creators.example', 'sarah@creators.example')).toBe(true);
    expect(isCreatorsOwn('sa.rah@gmail.com', 'Sarah+chorus@googlemail.com')).toBe(true);
  });

  it('tells other people, and no evidence, apart', () => {
    expect(isCreatorsOwn('dana@creators.example', 'sarah@creators.example')).toBe(false);
    expect(isCreatorsOwn('sarah@creators.example.org', 'sarah@creators.example')).toBe(false);
    expect(isCreatorsOwn('s.arah@creators.example', 'sarah@creators.example')).toBe(false);
    expect(isCreatorsOwn(null, 'sarah@creators.example')).toBe(false);
    expect(isCreatorsOwn(undefined, 'sarah@creators.example')).toBe(false);
    expect(isCreatorsOwn('@', '@')).toBe(false);
  });
});

describe('selfPurchaseOutcome', () => {
  it("withholds commission on the creator's own order unless the brand lets it earn", () => {
    expect(selfPurchaseOutcome(false, false)).toBe(0);
    expect(selfPurchaseOutcome(false, true)).toBe(0);
    expect(selfPurchaseOutcome(true, false)).toBe(1);
    expect(selfPurchaseOutcome(true, true)).toBe(2);
  });
});
