import type { ContentfulStatusCode } from 'hono/utils/http-status';

// The one error every route raises; app.onError renders it as {"error":{code,message,details}}.
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const notFound = (what = 'resource') => new ApiError(404, 'not_found', `No such ${what}.`);

// Storage trouble is the platform's, not the client's: 503 with Retry-After, so callers retry.
export const storageUnavailable = (message = 'Storage is unavailable; retry shortly.') => new ApiError(503, 'storage_unavailable', message, undefined, { 'Retry-After': '1' });

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}
