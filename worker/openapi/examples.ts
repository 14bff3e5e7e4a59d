// Example values built from a JSON Schema of the document: the field examples zod schemas carry
// (./schemas.ts), else enum values, formats and bounds. /docs shows them as example responses.
type JsonSchema = Record<string, unknown>;

const FORMAT_SAMPLES: Record<string, string> = {
  'date-time': '2026-05-04T09:30:00.000Z',
  email: 'name@example.com',
  uri: 'https://example.com',
};

export function resolveRef(schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  const ref = typeof schema.$ref === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(schema.$ref) : null;
  return ref ? resolveRef(components[ref[1]!] ?? {}, components) : schema;
}

const branches = (s: JsonSchema) => ((s.anyOf ?? s.oneOf) as JsonSchema[] | undefined)?.filter((b) => b.type !== 'null');
const width = (s: JsonSchema, components: Record<string, JsonSchema>) => Object.keys((resolveRef(s, components).properties as object | undefined) ?? {}).length;

export function sampleOf(input: JsonSchema, components: Record<string, JsonSchema>, depth = 0): unknown {
  const s = resolveRef(input, components);
  if (depth > 8) return null;
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if (s.example !== undefined) return s.example;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  const options = branches(s);
  // Of a union, show the richest branch: {"valid": true, …} says more than {"valid": false}.
  if (options?.length) return sampleOf([...options].sort((a, b) => width(b, components) - width(a, components))[0]!, components, depth + 1);
  if (Array.isArray(s.allOf)) return Object.assign({}, ...s.allOf.map((part) => sampleOf(part as JsonSchema, components, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (s.default !== undefined) return s.default;
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries((s.properties ?? {}) as Record<string, JsonSchema>).map(([k, v]) => [k, sampleOf(v, components, depth + 1)]));
    case 'array':
      return s.items ? [sampleOf(s.items as JsonSchema, components, depth + 1)] : [];
    case 'string':
      return FORMAT_SAMPLES[s.format as string] ?? 'string';
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'boolean':
      return true;
    default:
      return null;
  }
}
