import type { Knex } from 'knex';

/**
 * Fast bulk inserts for staging and roster tables.
 *
 * knex builds one SQL string per batch, which costs more than the SQLite work itself at millions of rows.
 * On SQLite we therefore run one prepared statement per row inside a transaction on the raw connection;
 * the SQL text stays portable (INSERT ... ON CONFLICT DO NOTHING is valid on PostgreSQL too), and other
 * dialects take the batched knex path.
 */
export class BulkInserter {
  private readonly sql: string;
  private readonly sqlite: boolean;

  constructor(
    private readonly knex: Knex,
    private readonly table: string,
    private readonly columns: readonly string[],
    /** Columns of the unique key: a repeated key is skipped (de-duplication), not an error. */
    private readonly conflictKey: readonly string[] | null = null,
  ) {
    this.sqlite = /sqlite/.test(String(knex.client.config.client));
    const quoted = columns.map((c) => `"${c}"`).join(', ');
    const onConflict = conflictKey ? ` ON CONFLICT (${conflictKey.map((c) => `"${c}"`).join(', ')}) DO NOTHING` : '';
    this.sql = `INSERT INTO "${table}" (${quoted}) VALUES (${columns.map(() => '?').join(', ')})${onConflict}`;
  }

  /** Inserts rows given as arrays in column order; returns how many were new (repeats of a key are not counted). */
  async insert(rows: readonly (readonly unknown[])[]): Promise<number> {
    if (rows.length === 0) return 0;
    if (!this.sqlite) return this.insertPortable(rows);
    // The pool has one SQLite connection: hold it only for this batch so other queries (heartbeats) interleave.
    const client = this.knex.client as { acquireConnection(): Promise<SqliteConnection>; releaseConnection(c: SqliteConnection): Promise<void> };
    const conn = await client.acquireConnection();
    try {
      const statement = conn.prepare(this.sql);
      let inserted = 0;
      conn.transaction(() => {
        for (const row of rows) inserted += statement.run(...row.map(sqliteValue)).changes;
      })();
      return inserted;
    } finally {
      await client.releaseConnection(conn);
    }
  }

  private async insertPortable(rows: readonly (readonly unknown[])[]): Promise<number> {
    const objects = rows.map((row) => Object.fromEntries(this.columns.map((c, i) => [c, row[i]])));
    let inserted = 0;
    for (let i = 0; i < objects.length; i += 500) {
      const query = this.knex(this.table).insert(objects.slice(i, i + 500));
      const result = this.conflictKey ? await query.onConflict([...this.conflictKey]).ignore() : await query;
      inserted += Array.isArray(result) ? objects.slice(i, i + 500).length : 0;
    }
    return inserted;
  }
}

interface SqliteConnection {
  prepare(sql: string): { run(...params: unknown[]): { changes: number } };
  transaction(fn: () => void): () => void;
}

function sqliteValue(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : value;
}
