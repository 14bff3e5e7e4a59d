// Who holds a brand's discount codes, read for up to 90 codes at a time (D1 binds at most 100 parameters).

export type CodeHolder = { enrollmentId: string; creatorId: string; campaignId: string };
type HolderRow = { code: string; enrollment_id: string; creator_id: string; campaign_id: string };

export function codeHoldersStatement(db: D1Database, brandId: string, codes: string[]): D1PreparedStatement {
  return db
    .prepare(
      `SELECT d.code, d.enrollment_id, e.creator_id, e.campaign_id FROM discount_codes d JOIN enrollments e ON e.id = d.enrollment_id
       WHERE d.brand_id = ? AND d.code IN (${codes.map(() => '?').join(', ')})`,
    )
    .bind(brandId, ...codes);
}

/** The statement's rows (from .all() or a batch) by code. */
export function codeHolderMap(result: D1Result | undefined): Map<string, CodeHolder> {
  return new Map(((result?.results ?? []) as HolderRow[]).map((r) => [r.code, { enrollmentId: r.enrollment_id, creatorId: r.creator_id, campaignId: r.campaign_id }]));
}
