import type { FC } from 'hono/jsx';
import type { ShipTo } from '../worker/db/addresses';
import { addressLines, itemsOf, type GiftRequestRow } from '../worker/db/gifting';

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

// Removed once it was no longer needed (declined, withdrawn, or arrived long ago: worker/jobs/gift-addresses.ts).
export const GiftAddress: FC<{ shipTo: ShipTo }> = ({ shipTo }) =>
  shipTo === 'removed' ? (
    <p class="gift-address muted">Address removed</p>
  ) : shipTo === 'unreadable' ? (
    <p class="gift-address warn-text">Address unreadable (the encryption key changed)</p>
  ) : (
    <address class="gift-address">
      {addressLines(shipTo).map((l) => (
        <span>{l}</span>
      ))}
    </address>
  );
