// One definition of a sale and of net revenue, so every page and mail counts an order alike; a brand's decline is a
// whole-order refund row (db/declines.ts), so it needs no condition of its own.

/** SQL for what has been refunded of the conversion row `cv` (its order's refunds, pending ones included; failed ones never reached the shopper). */
export const refundedOf = (cv: string) => `COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.brand_id = ${cv}.brand_id AND r.external_order_id = ${cv}.external_order_id AND r.status <> 'failed'), 0)`;

/** SQL for the amount of row `cv` less what was refunded of it (`refunded`: a column holding refundedOf(cv), if read already), never below 0. */
export const netOf = (cv: string, refunded = refundedOf(cv)) => `MAX(${cv}.amount_minor - ${refunded}, 0)`;

/** SQL true when row `cv` is a new customer's order: a subscription's later payment or a returning customer's order (renewal_of) earns through an earlier one. */
export const isNewOrder = (cv: string) => `${cv}.renewal_of IS NULL`;

/** SQL true when row `cv` still stands: not refunded in full (nor declined, a whole-order refund row). */
export const stands = (cv: string, refunded = refundedOf(cv)) => `${refunded} < ${cv}.amount_minor`;

/** SQL true when row `cv` is a sale: a new customer's order that still stands. */
export const isSale = (cv: string, refunded = refundedOf(cv)) => `(${isNewOrder(cv)} AND ${stands(cv, refunded)})`;
