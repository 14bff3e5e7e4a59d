/** What one account's reset runs, and what the command then says. */
export type ResetTarget = { account: string; of: string; whileOn: string[]; notFound: string; who: string; then: string };
export function memberReset(email: string, slug: string, now: number): ResetTarget;
export function creatorReset(email: string, now: number): ResetTarget;
/** In order, in one call: the counts `{ accounts, factors }` first, then the writes. */
export function resetStatements(target: ResetTarget): string[];
