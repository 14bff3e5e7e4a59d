-- Endpoints subscribed to every event type there was (the default) also get the four gift events.
UPDATE `webhook_endpoints` SET `events` = json_insert(`events`, '$[#]', 'gift.requested', '$[#]', 'gift.shipped', '$[#]', 'gift.received', '$[#]', 'gift.declined')
WHERE (SELECT count(DISTINCT value) FROM json_each(`events`) WHERE value IN ('conversion.created', 'conversion.attributed', 'conversion.reversed', 'refund.failed', 'submission.submitted', 'submission.reviewed', 'payout.closed')) = 7
  AND NOT EXISTS (SELECT 1 FROM json_each(`events`) WHERE value LIKE 'gift.%');
