// The OpenAPI document is valid OpenAPI 3.1. Built here in Node straight from the worker's modules (the
// same builder GET /openapi.json runs), because the validator (ajv) generates code and workerd forbids that.
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { app } from '../../worker/app';
import { buildOpenApiDocument } from '../../worker/openapi/document';

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument(app.routes);

  it('validates against the OpenAPI 3.1 schema, with every $ref resolving', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('names only components that exist, and uses every component it defines', () => {
    const text = JSON.stringify(doc);
    const referenced = new Set([...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!));
    const defined = new Set(Object.keys(doc.components.schemas));
    expect([...referenced].filter((name) => !defined.has(name))).toEqual([]);
    expect([...defined].filter((name) => !referenced.has(name))).toEqual([]);
  });
});
