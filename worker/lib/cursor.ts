// Keyset pagination: a page ends at its last row's (time, id), and the next page starts strictly after it,
// so rows written meanwhile neither repeat nor shift a page the way an offset would. The cursor is opaque
// to clients (base64url), and a cursor that does not decode is a 422 like any other bad query field.
import { and, desc, lt, lte, or, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { z } from 'zod';

export type Position = { at: number; id: string };

const SHAPE = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/;

export function encodeCursor(p: Position): string {
  return btoa(`${p.at}.${p.id}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function decodeCursor(raw: string): Position | null {
  if (!/^[A-Za-z0-9_-]{1,120}$/.test(raw)) return null;
  let text: string;
  try {
    text = atob(raw.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return null;
  }
  const m = SHAPE.exec(text);
  return m ? { at: Number(m[1]), id: m[2]! } : null;
}

export const cursorParam = z
  .string()
  .max(120)
  .transform((raw, ctx) => {
    const p = decodeCursor(raw);
    if (!p) ctx.addIssue({ code: 'custom', message: 'Not a cursor this API gave out: pass nextCursor from the previous page as it was.' });
    return p ?? z.NEVER;
  });

// Asks for one row more than the page holds: its presence is hasMore, without a count query.
export function pageOf<T>(rows: T[], limit: number, positionOf: (row: T) => Position): { rows: T[]; hasMore: boolean; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return { rows: page, hasMore, nextCursor: hasMore && last ? encodeCursor(positionOf(last)) : null };
}

// The query fields every paged list takes.
export const pageParams = {
  limit: z.coerce.number().int().min(1).max(200).default(100),
  cursor: cursorParam.optional().meta({ description: '`nextCursor` of the previous page.' }),
};

// A newest-first list keyed on (created_at, id): the condition for "after this position" and the order.
// `at <= ?` bounds an index range on the time; the OR alone would make SQLite read every newer row.
export function newestFirst(at: SQLiteColumn, id: SQLiteColumn, after: Position | undefined): { after: SQL | undefined; order: SQL[] } {
  return { after: after ? and(lte(at, after.at), or(lt(at, after.at), lt(id, after.id))) : undefined, order: [desc(at), desc(id)] };
}

// The same condition for hand-written SQL, with afterParams(p) bound in its place.
export const afterSql = (at: string, id: string) => `${at} <= ? AND (${at} < ? OR ${id} < ?)`;
export const afterParams = (p: Position) => [p.at, p.at, p.id];

// The oldest-first condition for hand-written SQL, its parameters named (`?3`, `?4`): -1 and '' bound for the
// first page keep one statement for every page. `at >= ?` bounds the index range as afterSql's `<=` does.
export const oldestFirstAfterSql = (at: string, id: string, atParam: string, idParam: string) => `${at} >= ${atParam} AND (${at} > ${atParam} OR ${id} > ${idParam})`;

// Every page of a keyset-paged read, in order, each read after the last row of the page before (undefined for the
// first); a page shorter than `size` is the last. Lazy: a page is read when the one before has been taken.
export async function* keysetPages<Row, Key>(read: (after: Key | undefined, size: number) => Promise<Row[]>, positionOf: (row: Row) => Key, size: number): AsyncGenerator<Row[]> {
  let after: Key | undefined;
  for (;;) {
    const rows = await read(after, size);
    const last = rows.at(-1);
    if (last) yield rows;
    if (!last || rows.length < size) return;
    after = positionOf(last);
  }
}
