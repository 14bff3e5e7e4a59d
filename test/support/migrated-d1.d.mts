/** Puts a migrated local D1 at `persist` (a `--persist-to` directory that does not exist yet). */
export function migratedD1(persist: string): Promise<void>;
