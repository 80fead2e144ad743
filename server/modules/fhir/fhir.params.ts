/**
 * Search parameters of the FHIR API: which are understood, and pure parsers for their values
 * (dates with prefixes, references, tokens, strings) and for the paging cursor.
 */
import { FhirError, badParameter } from './fhir.errors.js';

export type ParamKind = 'reference' | 'date' | 'token' | 'string' | 'number' | 'special';

export interface ParamSpec {
  kind: ParamKind;
  /** Modifiers accepted after a colon (`name:exact`, `part-of:missing`, `subject:Patient`). */
  modifiers?: string[];
  /** May the parameter appear more than once (then all must hold)? */
  repeat?: boolean;
  /** Shown in the CapabilityStatement. */
  documentation: string;
  /** The standard SearchParameter this one implements. */
  definition?: string;
}

const SP = 'http://hl7.org/fhir/SearchParameter/';

const common: Record<string, ParamSpec> = {
  _lastUpdated: {
    kind: 'date',
    repeat: true,
    documentation:
      'When the resource last changed (meta.lastUpdated); prefixes eq (default), ge, gt, le, lt; a date without a time zone is read as UTC.',
    definition: `${SP}Resource-lastUpdated`,
  },
  _count: {
    kind: 'number',
    documentation: 'Entries per page: 1 to 100, default 50 (larger values are lowered to 100).',
  },
  _cursor: {
    kind: 'special',
    documentation:
      'Opaque paging position, only as found in a Bundle next link; paging is stable while new data arrives.',
  },
  _format: {
    kind: 'special',
    documentation: 'json, application/json or application/fhir+json; XML is not served.',
  },
};

/** The search parameters of each resource type: anything else is refused (or ignored if lenient). */
export const SEARCH_PARAMS: Record<'Communication' | 'Patient', Record<string, ParamSpec>> = {
  Communication: {
    subject: {
      kind: 'reference',
      modifiers: ['Patient'],
      documentation: 'The patient: Patient/[id] or [id].',
      definition: `${SP}Communication-subject`,
    },
    patient: {
      kind: 'reference',
      documentation: 'The patient: Patient/[id] or [id] (same as subject).',
      definition: `${SP}clinical-patient`,
    },
    'part-of': {
      kind: 'reference',
      modifiers: ['missing'],
      documentation:
        'The conversation: Communication/[thread header id] gives its messages; part-of:missing=true gives thread headers only, part-of:missing=false messages only.',
      definition: `${SP}Communication-part-of`,
    },
    sent: {
      kind: 'date',
      repeat: true,
      documentation:
        'When the message was sent (a thread header: its first message served); prefixes eq (default), ge, gt, le, lt.',
      definition: `${SP}Communication-sent`,
    },
    ...common,
  },
  Patient: {
    identifier: {
      kind: 'token',
      repeat: true,
      documentation:
        'urn:ietf:rfc:3986|urn:uuid:[id], or urn:uuid:[id] alone: the patient identifier served in Patient.identifier.',
      definition: `${SP}Patient-identifier`,
    },
    name: {
      kind: 'string',
      repeat: true,
      modifiers: ['exact', 'contains'],
      documentation:
        'Given or family name, or both as "given family": starts with, ignoring case; :contains anywhere; :exact the whole name as stored.',
      definition: `${SP}Patient-name`,
    },
    birthdate: {
      kind: 'date',
      repeat: true,
      documentation: 'Date of birth; prefixes eq (default), ge, gt, le, lt.',
      definition: `${SP}individual-birthdate`,
    },
    email: {
      kind: 'token',
      repeat: true,
      documentation: 'The email address, ignoring case.',
      definition: `${SP}individual-email`,
    },
    ...common,
  },
};

export interface ParsedParam {
  name: string;
  modifier: string | undefined;
  value: string;
}

export interface ParsedSearch {
  params: ParsedParam[];
  /** The parameters used, as `[key, value]` pairs for the Bundle's self and next links. */
  used: [string, string][];
  count: number;
  cursor: string | undefined;
}

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 100;

/**
 * Checks a search's parameters against the resource type's list. Unknown parameters or
 * modifiers are refused (400), unless the client asked for `Prefer: handling=lenient`.
 * Empty values are ignored. `a,b` (an OR list) is not supported and refused.
 */
export function parseSearch(
  resourceType: keyof typeof SEARCH_PARAMS,
  pairs: [string, string][],
  lenient: boolean,
): ParsedSearch {
  const specs = SEARCH_PARAMS[resourceType];
  const params: ParsedParam[] = [];
  const used: [string, string][] = [];
  let count = DEFAULT_COUNT;
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (const [key, value] of pairs) {
    if (value === '') continue;
    const colon = key.indexOf(':');
    const name = colon < 0 ? key : key.slice(0, colon);
    const modifier = colon < 0 ? undefined : key.slice(colon + 1);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec || (modifier !== undefined && !spec.modifiers?.includes(modifier))) {
      if (lenient) continue;
      throw new FhirError(
        400,
        'not-supported',
        'unknown_parameter',
        spec
          ? `The modifier :${modifier} of ${name} is not supported.`
          : `The search parameter ${name} is not supported on ${resourceType} (see the CapabilityStatement at /fhir/R4/metadata).`,
      );
    }
    if (seen.has(name) && !spec.repeat && name !== '_format')
      throw badParameter(name, 'may be given only once.');
    seen.add(name);
    if (name === '_format') continue;
    if (name === '_count') {
      if (!/^\d{1,6}$/.test(value) || Number(value) < 1)
        throw badParameter('_count', 'must be a whole number from 1.');
      count = Math.min(Number(value), MAX_COUNT);
      used.push([key, String(count)]);
      continue;
    }
    if (name === '_cursor') {
      cursor = value;
      continue;
    }
    if (/(^|[^\\]),/.test(value))
      throw new FhirError(
        400,
        'not-supported',
        'or_not_supported',
        `${name}: lists of values (a,b) are not supported; search once for each value.`,
      );
    const unescaped = value.replace(/\\([,$|\\])/g, '$1');
    params.push({ name, modifier, value: unescaped });
    used.push([key, value]);
  }
  return { params, used, count, cursor };
}

/** A half-open interval of time that a date search value stands for. */
export interface DateBound {
  op: 'ge' | 'lt';
  at: Date;
}

const DATE_VALUE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * A FHIR date search value (`ge2026-01-05`, `2026-01`, `lt2026-01-05T10:00:00Z`) as bounds on
 * a timestamp: the value's precision makes a range, and the prefix says which side is wanted.
 */
export function parseDateParam(name: string, raw: string): DateBound[] {
  // An unencoded `+` of a time zone arrives as a space: read it as the `+` that was meant.
  raw = raw.replace(/ (\d{2}:\d{2})$/, '+$1');
  const prefixMatch = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)/.exec(raw);
  const prefix = prefixMatch?.[1] ?? 'eq';
  const value = prefixMatch ? raw.slice(2) : raw;
  if (!['eq', 'gt', 'lt', 'ge', 'le'].includes(prefix))
    throw new FhirError(
      400,
      'not-supported',
      'prefix_not_supported',
      `${name}: the prefix ${prefix} is not supported (eq, ge, gt, le, lt are).`,
    );
  const m = DATE_VALUE.exec(value);
  if (!m) throw badParameter(name, `"${value}" is not a FHIR date or dateTime.`);
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  const offsetMinutes =
    !tz || tz === 'Z'
      ? 0
      : (tz.startsWith('-') ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6)));
  const startUtc = Date.UTC(
    year,
    month,
    day,
    h ? Number(h) : 0,
    mi ? Number(mi) : 0,
    s ? Number(s) : 0,
    frac ? Math.floor(Number(`0${frac}`) * 1000) : 0,
  );
  const check = new Date(Date.UTC(year, month, day));
  if (
    (mo && (month < 0 || month > 11)) ||
    (d && check.getUTCDate() !== day) ||
    (h && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59)))
  )
    throw badParameter(name, `"${value}" is not a valid date.`);
  const start = new Date(startUtc - offsetMinutes * 60_000);
  let end: Date;
  if (!mo) end = new Date(Date.UTC(year + 1, 0, 1));
  else if (!d) end = new Date(Date.UTC(year, month + 1, 1));
  else if (!h) end = new Date(Date.UTC(year, month, day + 1));
  else {
    const unit = frac ? 1 : s ? 1000 : 60_000;
    end = new Date(start.getTime() + unit);
  }
  switch (prefix) {
    case 'ge':
      return [{ op: 'ge', at: start }];
    case 'gt':
      return [{ op: 'ge', at: end }];
    case 'le':
      return [{ op: 'lt', at: end }];
    case 'lt':
      return [{ op: 'lt', at: start }];
    default:
      return [
        { op: 'ge', at: start },
        { op: 'lt', at: end },
      ];
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (s: string): boolean => UUID.test(s);

/**
 * The id a reference search value points at (`Patient/[id]`, `[id]`, or an absolute URL on
 * this server), or null when it cannot name anything served here (the search then finds none).
 */
export function referencedId(value: string, type: string, baseUrl: string): string | null {
  let v = value;
  if (v.startsWith(`${baseUrl}/`)) v = v.slice(baseUrl.length + 1);
  const slash = v.indexOf('/');
  if (slash >= 0) {
    if (v.slice(0, slash) !== type) return null;
    v = v.slice(slash + 1);
  }
  return isUuid(v) ? v.toLowerCase() : null;
}

/** The position after the last entry of a page; opaque to clients. */
export function encodeCursor(parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string): unknown[] {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  throw badParameter('_cursor', 'is not a position this server gave out.');
}
