/**
 * Whether PostgreSQL refused a row for a unique index (SQLSTATE 23505): a concurrent request
 * wrote the same key first. The drivers put the code on the error or on its cause.
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } } | undefined;
  return e?.code === '23505' || e?.cause?.code === '23505';
}
