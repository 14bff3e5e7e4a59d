import { Hono } from 'hono';
import type { AppEnv } from '../../env';
import { requireAdminKey } from './auth';
import { idempotentPosts } from './idempotency';
import { activityRoutes } from './activity';
import { brandRoutes } from './brand';
import { bountyRoutes, campaignBountyRoutes } from './bounties';
import { campaignRoutes } from './campaigns';
import { codeRoutes } from './codes';
import { contentRoutes } from './content';
import { conversionRoutes } from './conversions';
import { importRoutes } from './imports';
import { creatorRoutes } from './creators';
import { enrollmentRoutes } from './enrollments';
import { campaignGiftRoutes, giftRequestRoutes } from './gifting';
import { integrationRoutes, keyRoutes } from './keys';
import { linkRoutes } from './links';
import { creatorMessageRoutes, messageRoutes, threadRoutes } from './messages';
import { payoutRoutes } from './payouts';
import { planRoutes } from './plans';
import { submissionRoutes } from './submissions';
import { webhookRoutes } from './webhooks';

// Chained, so the RPC client (worker/client.ts) can infer every route's input and output from AdminApp.
export const admin = new Hono<AppEnv>()
  .use('*', requireAdminKey)
  .use('*', idempotentPosts)
  .route('/brand', brandRoutes)
  .route('/campaigns', campaignRoutes)
  .route('/campaigns', importRoutes)
  .route('/campaigns', campaignGiftRoutes)
  .route('/campaigns', campaignBountyRoutes)
  .route('/bounties', bountyRoutes)
  .route('/gift-requests', giftRequestRoutes)
  .route('/creators', creatorRoutes)
  .route('/creators', creatorMessageRoutes)
  .route('/messages', messageRoutes)
  .route('/message-threads', threadRoutes)
  .route('/enrollments', enrollmentRoutes)
  .route('/links', linkRoutes)
  .route('/codes', codeRoutes)
  .route('/commission-plans', planRoutes)
  .route('/keys', keyRoutes)
  .route('/integrations', integrationRoutes)
  .route('/submissions', submissionRoutes)
  .route('/content', contentRoutes)
  .route('/conversions', conversionRoutes)
  .route('/payouts', payoutRoutes)
  .route('/webhooks', webhookRoutes)
  .route('/activity', activityRoutes);

export type AdminApp = typeof admin;
