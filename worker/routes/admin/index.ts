import { Hono } from 'hono';
import type { AppEnv } from '../../env';
import { requireAdminKey } from './auth';
import { campaignRoutes } from './campaigns';
import { codeRoutes } from './codes';
import { importRoutes } from './imports';
import { creatorRoutes } from './creators';
import { enrollmentRoutes } from './enrollments';
import { integrationRoutes, keyRoutes } from './keys';
import { linkRoutes } from './links';
import { payoutRoutes } from './payouts';
import { planRoutes } from './plans';
import { submissionRoutes } from './submissions';

export const admin = new Hono<AppEnv>();

admin.use('*', requireAdminKey);
admin.route('/campaigns', campaignRoutes);
admin.route('/campaigns', importRoutes);
admin.route('/creators', creatorRoutes);
admin.route('/enrollments', enrollmentRoutes);
admin.route('/links', linkRoutes);
admin.route('/codes', codeRoutes);
admin.route('/commission-plans', planRoutes);
admin.route('/keys', keyRoutes);
admin.route('/integrations', integrationRoutes);
admin.route('/submissions', submissionRoutes);
admin.route('/payouts', payoutRoutes);
