import pg from 'pg';
import { processCpuMs } from './measure.js';

/**
 * CPU of the PostgreSQL backends serving one database (the product's pool and its LISTEN
 * connection), from /proc: unlike postgresCpuMs(), which counts every PostgreSQL process of
 * the machine, it is not disturbed by other databases' work on a shared machine. It leaves out
 * the server-wide helpers (WAL writer, checkpointer, autovacuum).
 */
export async function databaseBackends(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const pids = async () =>
    (
      await client.query<{ pid: number }>(
        'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      )
    ).rows.map((r) => r.pid);
  return {
    /** CPU ms of the database's backends so far, by pid. */
    async snapshot(): Promise<Map<number, number>> {
      return new Map((await pids()).map((pid) => [pid, processCpuMs(pid)]));
    },
    /** CPU ms the backends used since the snapshot (backends started since count from 0). */
    async since(before: Map<number, number>): Promise<number> {
      let total = 0;
      for (const pid of await pids()) total += processCpuMs(pid) - (before.get(pid) ?? 0);
      return total;
    },
    close: () => client.end(),
  };
}
