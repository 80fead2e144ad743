import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { S3Settings } from '../config.js';

/** s3rver's one account. */
const ACCESS_KEY = 'S3RVER';

/**
 * A real S3-compatible server on 127.0.0.1 (s3rver), with one fresh bucket. It checks the access
 * key id of each request (an unknown one is refused with 403) but not V4 signatures.
 */
export interface S3TestServer {
  port: number;
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  /** The product's settings for this bucket: `buildTestApp({ config: { s3: server.settings } })`. */
  settings: S3Settings;
  /** The same as PORTAL_S3_* variables, for a server process started by a test. */
  env: Record<string, string>;
  /** The requests answered so far, `METHOD /bucket/key` (no query), oldest first. */
  requests: string[];
  /** Every key in the bucket, sorted. */
  keys(): Promise<string[]>;
  /** An object's bytes, or undefined when there is none. */
  read(key: string): Promise<Buffer | undefined>;
  /** Whether an object exists. */
  has(key: string): Promise<boolean>;
  /** An object's content type, size and metadata, or undefined when there is none. */
  head(
    key: string,
  ): Promise<{ contentType?: string; size?: number; metadata: Record<string, string> } | undefined>;
  /** Deletes an object behind the product's back. */
  remove(key: string): Promise<void>;
  /** Stops answering (open connections are cut); the objects stay for `start`. */
  stop(): Promise<void>;
  /** Answers again, on the same port, with the objects it had. */
  start(): Promise<void>;
  /** Stops and removes the objects. */
  close(): Promise<void>;
}

/**
 * Starts an S3-compatible server on a free port of 127.0.0.1 with a new bucket in a folder of
 * its own; `prefix` is the settings' key prefix (default none).
 */
export async function startS3Server(options: { prefix?: string } = {}): Promise<S3TestServer> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-s3-'));
  const bucket = `portal-test-${randomBytes(6).toString('hex')}`;
  let port = 0;
  let running: S3rver | undefined;
  const requests: string[] = [];

  const start = async () => {
    if (running) return;
    const server = new S3rver({
      address: '127.0.0.1',
      port,
      directory,
      silent: true,
      vhostBuckets: false,
      configureBuckets: [{ name: bucket, configs: [] }],
    });
    // s3rver closes its (silent) logger with the server, and then warns about each answer
    // that a stop cut short as it logs it: keep the logger.
    (server as unknown as { logger: { close(): void } }).logger.close = () => undefined;
    port = (await server.run()).port;
    running = server;
    (server as unknown as { httpServer: Server }).httpServer.on('request', (req) => {
      requests.push(`${req.method} ${decodeURIComponent(req.url!.split('?')[0]!)}`);
    });
  };
  const stop = async () => {
    const server = running;
    if (!server) return;
    running = undefined;
    const http = (server as unknown as { httpServer: Server }).httpServer;
    const closed = server.close();
    http.closeAllConnections();
    await closed;
  };

  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const settings: S3Settings = {
    bucket,
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: ACCESS_KEY },
    prefix: options.prefix ?? '',
  };
  const client = new S3Client({
    region: settings.region,
    endpoint,
    forcePathStyle: true,
    credentials: settings.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const missing = (error: unknown) =>
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

  const head: S3TestServer['head'] = async (key) => {
    try {
      const res = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        contentType: res.ContentType,
        size: res.ContentLength,
        metadata: res.Metadata ?? {},
      };
    } catch (error) {
      if (missing(error)) return undefined;
      throw error;
    }
  };

  return {
    port,
    endpoint,
    bucket,
    settings,
    requests,
    env: {
      PORTAL_S3_BUCKET: bucket,
      PORTAL_S3_ENDPOINT: endpoint,
      PORTAL_S3_REGION: settings.region,
      PORTAL_S3_FORCE_PATH_STYLE: 'true',
      PORTAL_S3_ACCESS_KEY_ID: ACCESS_KEY,
      PORTAL_S3_SECRET_ACCESS_KEY: ACCESS_KEY,
      ...(settings.prefix ? { PORTAL_S3_PREFIX: settings.prefix } : {}),
    },
    async keys() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
        );
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    async read(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch (error) {
        if (missing(error)) return undefined;
        throw error;
      }
    },
    head,
    has: async (key) => (await head(key)) !== undefined,
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    stop,
    start,
    async close() {
      await stop();
      client.destroy();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
