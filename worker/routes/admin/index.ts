import { Hono } from 'hono';
import type { AppEnv } from '../../env';
import { requireAdminKey } from './auth';
import { campaignRoutes } from './campaigns';
import { creatorRoutes } from './creators';
import { enrollmentRoutes } from './enrollments';
import { linkRoutes } from './links';

export const admin = new Hono<AppEnv>();

admin.use('*', requireAdminKey);
admin.route('/campaigns', campaignRoutes);
admin.route('/creators', creatorRoutes);
admin.route('/enrollments', enrollmentRoutes);
admin.route('/links', linkRoutes);
