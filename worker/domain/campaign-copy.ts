// Copying a campaign for its next wave: the copy's name. Pure.
import { CAMPAIGN_NAME_MAX } from './campaign-slug';

const COPY_MARK = /^(.*) \(copy(?: (\d{1,6}))?\)$/s;

// "<name> (copy)"; a copy's copy is "<name> (copy 2)", then "(copy 3)", never "(copy) (copy)". The name is cut at a
// character's edge (never half an emoji) so the whole stays within the campaign name limit (counted as the API does).
export function copyName(name: string): string {
  const marked = COPY_MARK.exec(name);
  const base = marked ? marked[1]! : name;
  const suffix = marked ? ` (copy ${marked[2] ? Number(marked[2]) + 1 : 2})` : ' (copy)';
  let kept = '';
  for (const point of base) {
    if (kept.length + point.length + suffix.length > CAMPAIGN_NAME_MAX) break;
    kept += point;
  }
  return `${kept.trimEnd()}${suffix}`;
}
