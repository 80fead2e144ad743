import type { SQLWrapper } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { AppError } from '../../errors.js';
import { hashJson } from '../../lib/tokens.js';
import {
  claimIdempotencyKey,
  findIdempotentResult,
  saveIdempotentResult,
  type StoredResult,
} from './idempotency.repository.js';

/**
 * What a send writes first and last inside its own transaction, so the Idempotency-Key is
 * claimed and its answer stored in the same commit as the message (no extra transaction, no
 * extra look-up in the common case). The service calls it; `sendOnce` below supplies it.
 */
export interface UnitOfWork<T> {
  /** The key's claim; `command` is the send as the service understood it. */
  claim(tx: Db, send: { command: unknown; now: Date }): Claim;
  /** The send's result stored: a statement the send writes with its last ones. */
  end(tx: Db, result: T): SQLWrapper;
}

/**
 * An Idempotency-Key's claim: a statement that answers one row when this send claimed the key,
 * to be the transaction's first write (alone, or as a part of its first statement, which
 * must not lock anything else: a retry waits in it for the first send to finish). `settle`
 * is called with its outcome: a key already taken ends the send (its answer is replayed).
 */
export interface Claim {
  statement: SQLWrapper;
  settle(claimed: boolean): Promise<void>;
}

/** Claims the key in a statement of its own (when the send's first statement cannot carry it). */
export async function claimAlone(tx: Db, claim: Claim | undefined): Promise<void> {
  if (!claim) return;
  const rows = await tx.execute(claim.statement.getSQL());
  await claim.settle(rows.rows.length === 1);
}

/** Whom an Idempotency-Key belongs to. */
export type KeyOwner =
  | { chamberId: string; kind: 'patient'; patientId: string }
  | { chamberId: string; kind: 'staff'; userId: string };

/** The status of every fresh send: the message was created. */
const CREATED = 201;

/** A retry met a stored send: its answer is replayed once the transaction rolled back. */
class Replay {
  constructor(
    readonly stored: StoredResult | undefined,
    readonly requestHash: string,
  ) {}
}

const inProgress = () =>
  new AppError(
    409,
    'request_in_progress',
    'The same request is still being processed. Please retry.',
  );

/**
 * Runs a send at most once per Idempotency-Key and sets the answer's status: 201 for a send
 * that happened now; for a retry, the first answer's status and body (422
 * `idempotency_key_reused` when the key came with another request, 409 `request_in_progress`
 * while the first one has not finished). Without a key the send simply runs. Every sending
 * route answers through this one helper.
 */
export async function sendOnce<T>(
  reply: { code(status: number): unknown },
  owner: KeyOwner,
  key: string | undefined,
  send: (unit: UnitOfWork<T> | undefined) => Promise<T>,
): Promise<T> {
  if (key === undefined) {
    const result = await send(undefined);
    reply.code(CREATED);
    return result;
  }
  const scope = {
    chamberId: owner.chamberId,
    actorKey: owner.kind === 'patient' ? `patient:${owner.patientId}` : `staff:${owner.userId}`,
    key,
  };
  try {
    const result = await send({
      claim(tx, { command, now }) {
        const requestHash = hashJson(command);
        return {
          statement: claimIdempotencyKey(tx, { ...scope, requestHash, now }),
          async settle(claimed) {
            if (claimed) return;
            // Taken: on PostgreSQL the claim waited for the first send to commit, so its answer
            // is visible to this next statement (READ COMMITTED); this transaction then rolls
            // back.
            throw new Replay(
              await findIdempotentResult(tx, scope.chamberId, scope.actorKey, key),
              requestHash,
            );
          },
        };
      },
      end(tx, result) {
        return saveIdempotentResult(tx, { ...scope, status: CREATED, body: result });
      },
    });
    reply.code(CREATED);
    return result;
  } catch (error) {
    if (!(error instanceof Replay)) throw error;
    const { stored, requestHash } = error;
    if (stored && stored.requestHash !== requestHash) {
      throw new AppError(
        422,
        'idempotency_key_reused',
        'This Idempotency-Key was used for a different request.',
        'Idempotency-Key',
      );
    }
    if (!stored || stored.status === 0) throw inProgress();
    reply.code(stored.status);
    return stored.body as T;
  }
}
