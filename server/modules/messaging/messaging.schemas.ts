import { Type } from 'typebox';
import { Cursor, Id, Limit } from '../../lib/schemas.js';

/** Message text as sent; the service checks its length and content with clear errors. */
export const Text = Type.String({ description: '1 to 5,000 characters, not only whitespace' });

export const PatientMessageBody = Type.Object(
  {
    text: Text,
    attachmentIds: Type.Optional(
      Type.Array(Id, {
        maxItems: 5,
        description: 'documents the patient uploaded with POST /portal/documents',
      }),
    ),
  },
  { additionalProperties: false },
);

const Attachment = Type.Object({
  id: Type.String(),
  title: Type.String(),
  contentType: Type.String(),
  sizeBytes: Type.Integer(),
});

export const StaffMessageBody = Type.Object(
  {
    text: Text,
    shareWithPatient: Type.Boolean({ description: 'also share with the patient' }),
    roleIds: Type.Array(Id, { maxItems: 50, description: 'roles the message is shared with' }),
  },
  { additionalProperties: false },
);

export const IdempotencyHeaders = Type.Object(
  {
    'idempotency-key': Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[\\x21-\\x7e]+$',
        description: 'a retry with the same key returns the first result',
      }),
    ),
  },
  { additionalProperties: true },
);

export const PageQuery = Type.Object(
  { cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) },
  { additionalProperties: false },
);
export const CursorQuery = Type.Object(
  { cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);

const Author = Type.Object({
  kind: Type.Union([Type.Literal('patient'), Type.Literal('staff')]),
  name: Type.String(),
  role: Type.Union([Type.String(), Type.Null()]),
});

export const PatientMessage = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  text: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  author: Author,
  mine: Type.Boolean(),
  attachments: Type.Array(Attachment),
});

export const StaffMessage = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  text: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  author: Type.Object({ ...Author.properties, userId: Type.Union([Type.String(), Type.Null()]) }),
  sharedWithPatient: Type.Boolean(),
  roles: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  internalNote: Type.Boolean(),
  mine: Type.Boolean(),
  attachments: Type.Array(Attachment),
});

const Summary = (forStaff: boolean) =>
  Type.Object({
    id: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    ...(forStaff ? { awaitingReply: Type.Boolean() } : {}),
    unreadCount: Type.Integer(),
    lastMessage: Type.Object({
      id: Type.String(),
      author: Author,
      createdAt: Type.String({ format: 'date-time' }),
      preview: Type.String(),
      ...(forStaff ? { internalNote: Type.Boolean() } : {}),
    }),
  });

const NextCursor = Type.Union([Type.String(), Type.Null()]);

export const Inbox = Type.Object({
  conversations: Type.Array(Summary(false)),
  nextCursor: NextCursor,
});
export const Feed = Type.Object({
  patient: Type.Object({ id: Type.String(), name: Type.String() }),
  conversations: Type.Array(Summary(true)),
  nextCursor: NextCursor,
});
export const PatientConversation = Type.Object({
  conversation: Type.Object({ id: Type.String() }),
  messages: Type.Array(PatientMessage),
  nextCursor: NextCursor,
  canReply: Type.Boolean(),
});
export const StaffConversation = Type.Object({
  conversation: Type.Object({
    id: Type.String(),
    patient: Type.Object({ id: Type.String(), name: Type.String() }),
    awaitingReply: Type.Boolean(),
    patientCanSee: Type.Boolean(),
  }),
  messages: Type.Array(StaffMessage),
  nextCursor: NextCursor,
  canReply: Type.Boolean(),
  shareWithPatientByDefault: Type.Boolean(),
});
export const PatientSent = Type.Object({
  conversation: Type.Object({ id: Type.String() }),
  message: PatientMessage,
});
export const StaffSent = Type.Object({
  conversation: Type.Object({ id: Type.String() }),
  message: StaffMessage,
});
