// One post earns one flat fee: live posts are compared by the post their link names, not the link's spelling.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { postKey } from '../../../worker/db/submissions';
import { newId } from '../../../worker/lib/ids';
import { createMoneyBrand, rowCount } from '../fixtures';

// A flat-fee creator (250.00 per live post) and a helper that makes an approved submission and marks it live.
async function flatCreator() {
  const m = await createMoneyBrand({ paymentModel: 'flat' });
  await env.DB.prepare('UPDATE enrollments SET flat_fee_minor = 25000 WHERE id = ?').bind(m.enrollment.id).run();
  const approved = async () => {
    const id = newId('sub');
    const now = Date.now();
    await env.DB.prepare(
      "INSERT INTO submissions (id, brand_id, enrollment_id, story_format, draft_url, caption, status, compliance, created_at, updated_at) VALUES (?, ?, ?, 'day_in_the_life', ?, '#Glow #ad', 'approved', '{\"hashtag\":true,\"disclosure\":true}', ?, ?)",
    )
      .bind(id, m.brand.brandId, m.enrollment.id, `https://drive.example/${id}`, now, now)
      .run();
    return id;
  };
  const markLive = (id: string, postUrl: string) => m.brand.api('POST', `/api/admin/submissions/${id}/mark-live`, { postUrl });
  const fees = () => rowCount("SELECT count(*) AS n FROM ledger_entries WHERE enrollment_id = ? AND kind = 'flat_fee'", m.enrollment.id);
  return { ...m, approved, markLive, fees };
}

describe('posts live before keys were kept', () => {
  it('does not let a post already live before the migration go live again with the very same link', async () => {
    const m = await flatCreator();
    const first = await m.approved();
    expect((await m.markLive(first, 'https://www.instagram.com/p/pre-migration')).status).toBe(200);
    // What 0011 leaves on a row that was live before it: the stored link as its key.
    await env.DB.prepare('UPDATE submissions SET post_key = post_url WHERE id = ?').bind(first).run();
    const second = await m.approved();
    const again = await m.markLive(second, 'https://www.instagram.com/p/pre-migration');
    expect(again.status).toBe(409); // before this change the identical link was refused
    expect(await m.fees()).toBe(1);
  });
});

describe('the post a link names', () => {
  it('keeps two different Facebook posts (and ?p= blog posts) apart: their query names the post', async () => {
    const m = await flatCreator();
    const a = await m.approved();
    const b = await m.approved();
    expect((await m.markLive(a, 'https://www.facebook.com/permalink.php?story_fbid=1111&id=42')).status).toBe(200);
    const other = await m.markLive(b, 'https://www.facebook.com/permalink.php?story_fbid=2222&id=42');
    expect(other.status).toBe(200); // a different post: its flat fee is owed
    expect(await m.fees()).toBe(2);
  });

  it('pays one fee for a YouTube video however its link is copied (youtu.be short link)', async () => {
    const m = await flatCreator();
    const a = await m.approved();
    const b = await m.approved();
    expect((await m.markLive(a, 'https://www.youtube.com/watch?v=dQw4w9WgXcQ')).status).toBe(200);
    expect((await m.markLive(b, 'https://youtu.be/dQw4w9WgXcQ?si=share')).status).toBe(409);
    expect(await m.fees()).toBe(1);
  });

  it('names one post by one key: share-link variants collide, distinct posts do not', () => {
    const same: [string, string][] = [
      ['https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'https://youtu.be/dQw4w9WgXcQ'],
      ['https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'https://www.youtube.com/shorts/dQw4w9WgXcQ'],
      ['https://www.tiktok.com/@GlowDaily/video/7312345678901234567', 'https://www.tiktok.com/@glowdaily/video/7312345678901234567'],
    ];
    for (const [x, y] of same) expect.soft(postKey(y), `${x} vs ${y}`).toBe(postKey(x));
    const different: [string, string][] = [
      ['https://www.facebook.com/permalink.php?story_fbid=1&id=9', 'https://www.facebook.com/permalink.php?story_fbid=2&id=9'],
      ['https://www.facebook.com/story.php?story_fbid=1&id=9', 'https://www.facebook.com/story.php?story_fbid=2&id=9'],
      ['https://blog.example/?p=12', 'https://blog.example/?p=34'],
    ];
    for (const [x, y] of different) expect.soft(postKey(y), `${x} vs ${y}`).not.toBe(postKey(x));
  });
});
