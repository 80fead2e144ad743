import { Type, type Static, type TSchema } from 'typebox';

/**
 * Building blocks every area's contract uses: ids, paging, the error body. The server's routes
 * declare these schemas; the web apps import their static types.
 */

/** An id in a path or body. */
export const Id = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export type IdParams = Static<typeof IdParams>;

/** Opaque paging cursor. */
export const Cursor = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' });
export const Limit = Type.String({
  pattern: '^(?:[1-9]|[1-9][0-9]|100)$',
  description: '1 to 100',
});

export const PageQuery = Type.Object(
  { cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) },
  { additionalProperties: false },
);
export type PageQuery = Static<typeof PageQuery>;
export const CursorQuery = Type.Object(
  { cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);
export type CursorQuery = Static<typeof CursorQuery>;

/** `nextCursor` of a paged list: null on the last page. */
export const NextCursor = Type.Union([Type.String(), Type.Null()]);

/** A timestamp as the API sends it: ISO 8601 in UTC. */
export const Timestamp = Type.String({ format: 'date-time' });

/** A value or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** `{ ok: true }`: the answer of an action with nothing else to say. */
export const Ok = Type.Object({ ok: Type.Literal(true) });
export type Ok = Static<typeof Ok>;

/** The one error shape of the API: `{ error: { status, code, message, field? } }`. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    status: Type.Integer(),
    code: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String()),
  }),
});
export type ErrorBody = Static<typeof ErrorBody>;

/** `{ id, name }` of a person or a thing named in a list. */
export const Named = Type.Object({ id: Type.String(), name: Type.String() });
export type Named = Static<typeof Named>;
