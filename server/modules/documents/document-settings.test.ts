import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';

// PORTAL_S3_*: documents in an S3-compatible bucket. A wrong value stops the start with a
// message naming the variable, like every other setting.

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ DATA_DIR: '/tmp/portal-settings-test', ...env });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('document storage settings', () => {
  it('keeps documents in the folder unless PORTAL_S3_BUCKET is set', () => {
    const config = loadConfig({ DATA_DIR: '/tmp/portal-settings-test' });
    expect(config.s3).toBeUndefined();
    expect(config.documentsDir).toBe('/tmp/portal-settings-test/documents');
  });

  it('reads the bucket, endpoint, region, keys, path style and prefix', () => {
    const config = loadConfig({
      PORTAL_S3_BUCKET: 'clinic-documents',
      PORTAL_S3_ENDPOINT: 'https://s3.example.org:9000',
      PORTAL_S3_REGION: 'eu-central-1',
      PORTAL_S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      PORTAL_S3_SECRET_ACCESS_KEY: 'secret/with+chars',
      PORTAL_S3_PREFIX: 'portal/documents',
    });
    expect(config.s3).toEqual({
      bucket: 'clinic-documents',
      endpoint: 'https://s3.example.org:9000',
      region: 'eu-central-1',
      // An endpoint of its own: addressed by path unless told otherwise.
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret/with+chars' },
      prefix: 'portal/documents/',
    });
  });

  it('defaults to AWS S3 in us-east-1 by host name, with the SDK’s own credentials and no prefix', () => {
    expect(loadConfig({ PORTAL_S3_BUCKET: 'docs.example' }).s3).toEqual({
      bucket: 'docs.example',
      endpoint: undefined,
      region: 'us-east-1',
      forcePathStyle: false,
      credentials: undefined,
      prefix: '',
    });
    expect(
      loadConfig({
        PORTAL_S3_BUCKET: 'docs',
        PORTAL_S3_ENDPOINT: 'http://127.0.0.1:9000',
        PORTAL_S3_FORCE_PATH_STYLE: 'false',
      }).s3?.forcePathStyle,
    ).toBe(false);
  });

  it('refuses wrong values, naming each variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { PORTAL_S3_ENDPOINT: 'http://127.0.0.1:9000' },
        /^PORTAL_S3_ENDPOINT is set but PORTAL_S3_BUCKET is not/,
      ],
      [{ PORTAL_S3_BUCKET: 'Clinic_Docs' }, /^PORTAL_S3_BUCKET must be a bucket name/],
      [{ PORTAL_S3_BUCKET: 'ab' }, /^PORTAL_S3_BUCKET must be a bucket name/],
      [
        { PORTAL_S3_BUCKET: 'docs', PORTAL_S3_ENDPOINT: 'ftp://x' },
        /^PORTAL_S3_ENDPOINT must start with http: or https:/,
      ],
      [
        { PORTAL_S3_BUCKET: 'docs', PORTAL_S3_ENDPOINT: 'not a url' },
        /^PORTAL_S3_ENDPOINT is not a valid URL/,
      ],
      [
        { PORTAL_S3_BUCKET: 'docs', PORTAL_S3_REGION: 'eu west' },
        /^PORTAL_S3_REGION must be a region name/,
      ],
      [
        { PORTAL_S3_BUCKET: 'docs', PORTAL_S3_FORCE_PATH_STYLE: 'yes' },
        /^PORTAL_S3_FORCE_PATH_STYLE must be true or false/,
      ],
      [
        { PORTAL_S3_BUCKET: 'docs', PORTAL_S3_ACCESS_KEY_ID: 'AKIA' },
        /^PORTAL_S3_ACCESS_KEY_ID and PORTAL_S3_SECRET_ACCESS_KEY go together/,
      ],
      [{ PORTAL_S3_BUCKET: 'docs', PORTAL_S3_SECRET_ACCESS_KEY: 's' }, /go together/],
      [
        { PORTAL_S3_BUCKET: 'docs', PORTAL_S3_PREFIX: '/absolute' },
        /^PORTAL_S3_PREFIX must be folder names/,
      ],
      [
        { PORTAL_S3_BUCKET: 'docs', PORTAL_S3_PREFIX: 'a/../b' },
        /^PORTAL_S3_PREFIX must be folder names/,
      ],
      [
        { PORTAL_S3_BUCKET: 'docs', PORTAL_S3_PREFIX: 'a//b' },
        /^PORTAL_S3_PREFIX must be folder names/,
      ],
      [
        { PORTAL_S3_BUCKET: 'docs', PORTAL_S3_PREFIX: 'a b' },
        /^PORTAL_S3_PREFIX must be folder names/,
      ],
    ];
    for (const [env, message] of cases) {
      const problems = problemsOf(env);
      expect(problems, JSON.stringify(env)).toHaveLength(1);
      expect(problems[0], JSON.stringify(env)).toMatch(message);
    }
    // The secret is never repeated in a message.
    const problems = problemsOf({ PORTAL_S3_BUCKET: 'x', PORTAL_S3_SECRET_ACCESS_KEY: 'hunter2' });
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});
