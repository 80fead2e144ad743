// Cold-start baseline: open the embedded database in a directory and run one query, nothing
// else. Prints "ready <rows>" when the answer is in, then exits.
import { PGlite } from '@electric-sql/pglite';

const db = await PGlite.create(process.argv[2]);
const result = await db.query('select count(*)::int as n from messages');
console.log(`ready ${result.rows[0].n}`);
await db.close();
