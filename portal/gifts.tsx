import type { FC } from 'hono/jsx';
import { addressLines, addressOf, itemsOf, type GiftRequestRow } from '../worker/db/gifting';

// What a gift request holds, as the creator's gift page and the console's Gifting tab both show it: the
// products with the option picked, and the address it ships to (the copy kept on the request).
export const GiftItems: FC<{ g: Pick<GiftRequestRow, 'items'>; class: string }> = ({ g, class: cls }) => (
  <ul class={cls}>
    {itemsOf(g).map((i) => (
      <li>
        {i.title}
        {i.option ? <span class="muted"> · {i.option}</span> : null}
      </li>
    ))}
  </ul>
);

export const GiftAddress: FC<{ g: GiftRequestRow }> = ({ g }) => (
  <address class="gift-address">
    {addressLines(addressOf(g)).map((l) => (
      <span>{l}</span>
    ))}
  </address>
);
