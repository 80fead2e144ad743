import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// docs/operations.md ("A deployment behind nginx") quotes the files that `npm run test:deploy`
// runs: they must stay the same, word for word.

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

describe('docs/operations.md quotes the deployment the deployment test runs', () => {
  const docs = read('docs/operations.md');
  const section = docs.slice(docs.indexOf('## A deployment behind nginx'));
  for (const [file, lang] of [
    ['deploy/nginx/portal.conf', 'nginx'],
    ['deploy/systemd/portal-web@.service', 'ini'],
    ['deploy/systemd/portal-worker.service', 'ini'],
    ['deploy/portal.env', 'sh'],
  ] as const) {
    it(`${file}, whole`, () => {
      expect(section.startsWith('## A deployment behind nginx')).toBe(true);
      expect(section).toContain(`\`\`\`${lang}\n${read(file)}\`\`\`\n`);
    });
  }
});
