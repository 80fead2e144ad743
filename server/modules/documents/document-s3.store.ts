import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import type { S3Settings } from '../../config.js';
import { DocumentStoreError, documentKey, type DocumentStore } from './document.store.js';

/** What the SDK's errors carry: the service's error name and the HTTP status, if one came. */
type SdkError = { name?: string; $metadata?: { httpStatusCode?: number } };

const statusOf = (error: unknown) => (error as SdkError).$metadata?.httpStatusCode;

/** No answer at all (refused, reset, timed out), a server error or throttling: worth a retry. */
const transient = (error: unknown) => {
  const status = statusOf(error);
  return status === undefined || status >= 500 || status === 429;
};

/** The SDK warns on the console; its failures reach the caller (and the log) as errors. */
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const PUT_ATTEMPTS = 3;

/** Documents as objects in an S3-compatible bucket, `<prefix><chamber id>/<document id>`. */
export async function createS3Store(settings: S3Settings): Promise<DocumentStore> {
  // Loaded only when a bucket is set: the SDK holds some 20 MB that the folder does not need.
  const { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } =
    await import('@aws-sdk/client-s3');
  const { bucket, prefix } = settings;
  const description = `s3://${bucket}/${prefix}`;
  const client = new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: settings.credentials,
    // The SDK's default checksums are sent as trailers of a chunked body, which several
    // S3-compatible services refuse. The upload's SHA-256 is kept on its row and its object.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: 5_000,
      // Inactivity, not duration: a download paused by a slow reader for this long is ended.
      socketTimeout: 120_000,
      // Each open download holds a connection until the reader has it all.
      httpAgent: { maxSockets: 256 },
      httpsAgent: { maxSockets: 256 },
    },
    logger: quiet,
  });
  const key = (chamberId: string, documentId: string) =>
    `${prefix}${documentKey(chamberId, documentId)}`;
  const failed = (operation: DocumentStoreError['operation'], cause: unknown) =>
    new DocumentStoreError(operation, description, { cause });

  return {
    description,

    async put(chamberId, documentId, file) {
      const Key = key(chamberId, documentId);
      // The SDK cannot resend a stream it has read: each attempt reads the file again.
      for (let attempt = 1; ; attempt += 1) {
        const body = fs.createReadStream(file.tempPath);
        try {
          await client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key,
              Body: body,
              ContentLength: file.sizeBytes,
              ContentType: file.contentType ?? 'application/octet-stream',
              // The row's checksum, on the object too: a copy can be checked without the database.
              Metadata: { sha256: file.sha256 },
            }),
          );
          return;
        } catch (error) {
          if (attempt >= PUT_ATTEMPTS || !transient(error)) throw failed('put', error);
          await sleep(100 * 4 ** (attempt - 1));
        } finally {
          body.destroy();
        }
      }
    },

    async open(chamberId, documentId) {
      try {
        const res = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key(chamberId, documentId) }),
        );
        if (!(res.Body instanceof Readable)) throw new Error('The object has no readable body.');
        return res.Body;
      } catch (error) {
        const name = (error as SdkError).name;
        if (name === 'NoSuchKey' || (statusOf(error) === 404 && name !== 'NoSuchBucket')) {
          return undefined;
        }
        throw failed('open', error);
      }
    },

    async remove(chamberId, documentId) {
      try {
        await client.send(
          new DeleteObjectCommand({ Bucket: bucket, Key: key(chamberId, documentId) }),
        );
      } catch (error) {
        throw failed('remove', error);
      }
    },

    async check() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        throw failed('check', error);
      }
    },

    close() {
      client.destroy();
    },
  };
}
