import { sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { drizzle } from 'drizzle-orm/d1';
import * as schema from './schema';

export type Db = ReturnType<typeof database>;

export function database(d1: D1Database) {
  return drizzle(d1, { schema });
}

// `column = value` that SQLite only checks and never walks an index for (`+column`). D1 keeps no statistics,
// so with a narrower filter beside it (an enrollment, a campaign) the planner could pick the brand's index
// and read every row of the brand to find a few: the brand test is then written with this.
export const checkedEq = (column: SQLiteColumn, value: string): SQL => sql`+${column} = ${value}`;
