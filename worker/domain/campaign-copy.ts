// Copying a campaign for its next wave: the copy's name. Pure.
import { CAMPAIGN_NAME_MAX } from './campaign-slug';

const COPY_MARK = /^(.*) \(copy(?: (\d{1,6}))?\)$/s;

// "<name> (copy)"; a copy's copy is "<name> (copy 2)", then "(copy 3)", never "(copy) (copy)"; the first of these no
// campaign in `taken` has (copying "X" twice makes "X (copy)" and "X (copy 2)"). The name is cut at a character's edge
// (never half an emoji) so the whole stays within the campaign name limit (counted as the API does).
export function copyName(name: string, taken: ReadonlySet<string> = new Set()): string {
  const marked = COPY_MARK.exec(name);
  const base = marked ? marked[1]! : name;
  // `taken` is finite, so some number is free.
  for (let n = marked ? (marked[2] ? Number(marked[2]) + 1 : 2) : 1; ; n++) {
    const made = withSuffix(base, n === 1 ? ' (copy)' : ` (copy ${n})`);
    if (!taken.has(made)) return made;
  }
}

function withSuffix(base: string, suffix: string): string {
  let kept = '';
  for (const point of base) {
    if (kept.length + point.length + suffix.length > CAMPAIGN_NAME_MAX) break;
    kept += point;
  }
  return `${kept.trimEnd()}${suffix}`;
}
