import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { fromPglite, migrateDatabase, type Db } from '../../server/db/connect.js';
import { generateDataset, type DatasetSize } from './dataset.js';
import { log, root } from './scenario.js';

const cacheDir = path.join(root, 'bench', '.cache');

/**
 * A DATA_DIR holding the embedded database filled with the data set. The generated database
 * is kept as a dump in bench/.cache (made once) and unpacked for each run.
 */
export async function embeddedDataset(size: DatasetSize): Promise<{
  dataDir: string;
  /** Opens the database in this process (the product must not be running on it). */
  open: () => Promise<{ db: Db; close: () => Promise<void> }>;
  remove: () => void;
}> {
  const dump = path.join(cacheDir, `pglite-v1-${size.patients}-${size.messages}.tar.gz`);
  if (!fs.existsSync(dump)) {
    log(`generating the embedded data set (once; kept in ${path.relative(root, dump)})`);
    const started = Date.now();
    const client = await PGlite.create();
    const database = fromPglite(client);
    await migrateDatabase(database);
    await generateDataset(database.db, size);
    const blob = await client.dumpDataDir('gzip');
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(`${dump}.part`, Buffer.from(await blob.arrayBuffer()));
    fs.renameSync(`${dump}.part`, dump);
    await client.close();
    log(`embedded data set generated in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-embedded-'));
  const dir = path.join(dataDir, 'pglite');
  const loaded = await PGlite.create(dir, {
    loadDataDir: new Blob([fs.readFileSync(dump)]),
  });
  // Migrations newer than the dump apply now, as at a product start.
  await migrateDatabase(fromPglite(loaded));
  await loaded.close();
  return {
    dataDir,
    open: async () => {
      const client = await PGlite.create(dir);
      return { db: fromPglite(client).db, close: () => client.close() };
    },
    remove: () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
}
