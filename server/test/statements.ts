import pg from 'pg';

/** One statement as the product sent it to PostgreSQL, with what came back. */
export interface Statement {
  text: string;
  values: unknown[];
  rows: Record<string, unknown>[];
}

type QueryFn = (...args: unknown[]) => unknown;

let recording: Statement[] | undefined;
let installed = false;

/**
 * Wraps `pg.Client#query` (the one door every pooled and dedicated connection goes through)
 * so the statements of a stretch of code can be recorded. Only benchmarks and the statement
 * count test install it; the product never does.
 */
export function installStatementRecorder(): void {
  if (installed) return;
  installed = true;
  const proto = pg.Client.prototype as unknown as { query: QueryFn };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const active = recording;
    if (!active) return original.apply(this, args);
    const [first, second] = args;
    const text =
      typeof first === 'string' ? first : ((first as { text?: string } | null)?.text ?? '');
    const values =
      (Array.isArray(second) ? second : (first as { values?: unknown[] } | null)?.values) ?? [];
    const entry: Statement = { text, values: [...values], rows: [] };
    active.push(entry);
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      return (result as Promise<{ rows?: unknown[]; fields?: { name: string }[] }>).then((r) => {
        entry.rows = toObjects(r);
        return r;
      });
    }
    return result;
  };
}

/** drizzle asks for array rows; turn them back into named columns. */
function toObjects(r: {
  rows?: unknown[];
  fields?: { name: string }[];
}): Record<string, unknown>[] {
  const rows = r?.rows ?? [];
  return rows.map((row) => {
    if (!Array.isArray(row)) return row as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    (r.fields ?? []).forEach((f, i) => (out[f.name] = row[i]));
    return out;
  });
}

/** Runs `fn` and returns the statements it sent (from every connection of this process). */
export async function recordStatements<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; statements: Statement[] }> {
  installStatementRecorder();
  const statements: Statement[] = [];
  recording = statements;
  try {
    const result = await fn();
    return { result, statements };
  } finally {
    recording = undefined;
  }
}
