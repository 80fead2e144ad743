import { Type, type Static } from 'typebox';
import { Id, Nullable, Timestamp } from './common.js';

/** Email delivery problems, for administrators: failed for good, or waiting for a retry. */

/** `?state=failed` (the default) or `?state=pending`. */
export const EmailJobQuery = Type.Object(
  {
    state: Type.Optional(
      Type.Union([Type.Literal('failed'), Type.Literal('pending')], {
        description: 'failed (default): gave up; pending: failed at least once, will retry',
      }),
    ),
  },
  { additionalProperties: false },
);
export type EmailJobQuery = Static<typeof EmailJobQuery>;

/** One email job. */
export const EmailJob = Type.Object(
  {
    id: Id,
    kind: Type.String({ description: 'shared_items_email or account_link_email' }),
    label: Type.String({ description: 'the kind, in words' }),
    state: Type.Union(
      [
        Type.Literal('pending'),
        Type.Literal('running'),
        Type.Literal('done'),
        Type.Literal('failed'),
      ],
      { description: 'failed in the failed list; pending or running (again) in the pending list' },
    ),
    attempts: Type.Integer(),
    maxAttempts: Type.Integer(),
    lastError: Nullable(Type.String()),
    nextAttemptAt: Nullable(Timestamp),
    createdAt: Timestamp,
    finishedAt: Nullable(Timestamp),
  },
  { additionalProperties: false },
);
export type EmailJob = Static<typeof EmailJob>;

/** The newest 200 jobs of the chosen state. */
export const EmailJobList = Type.Object(
  { jobs: Type.Array(EmailJob) },
  { additionalProperties: false },
);
export type EmailJobList = Static<typeof EmailJobList>;
