// Messages for Queues' sendBatch, split under both of its limits: 100 messages and 256 KB a batch (kept under
// 200 KB here, for what the platform adds to each). A campaign's long update to 100 creators is several
// batches rather than one the queue refuses.
const BATCH_MESSAGES = 100;
const BATCH_BYTES = 200_000;
const encoder = new TextEncoder();

export function queueBatches<T>(bodies: T[]): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = encoder.encode(JSON.stringify(body)).length;
    if (batch.length > 0 && (batch.length === BATCH_MESSAGES || bytes + size > BATCH_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(body);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
