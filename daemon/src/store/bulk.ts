import type { Knex } from 'knex';

/**
 * Fast bulk inserts for staging and roster tables.
 *
 * knex builds one SQL string per batch, which costs more than the SQLite work itself at millions of rows.
 * On SQLite we therefore run one prepared statement per row inside a transaction on the raw connection;
 * the SQL text stays portable (INSERT ... ON CONFLICT DO NOTHING is valid on PostgreSQL too), and other
 * dialects take the batched knex path.
 */
const ROWS_PER_STATEMENT = 50;

export class BulkInserter {
  private readonly sql: string;
  /** Many rows per statement: SQLite's per-statement cost dominates single-row inserts. */
  private readonly batchSql: string;
  private readonly sqlite: boolean;

  constructor(
    private readonly knex: Knex,
    private readonly table: string,
    private readonly columns: readonly string[],
    /** Columns of the unique key: a repeated key is skipped (de-duplication), not an error. */
    private readonly conflictKey: readonly string[] | null = null,
  ) {
    this.sqlite = /sqlite/.test(String(knex.client.config.client));
    this.sql = this.insertSql(1);
    this.batchSql = this.insertSql(ROWS_PER_STATEMENT);
  }

  private insertSql(rows: number): string {
    const quoted = this.columns.map((c) => `"${c}"`).join(', ');
    const onConflict = this.conflictKey ? ` ON CONFLICT (${this.conflictKey.map((c) => `"${c}"`).join(', ')}) DO NOTHING` : '';
    const tuple = `(${this.columns.map(() => '?').join(', ')})`;
    return `INSERT INTO "${this.table}" (${quoted}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}${onConflict}`;
  }

  /** Inserts rows given as arrays in column order; returns how many were new (repeats of a key are not counted). */
  async insert(rows: readonly (readonly unknown[])[]): Promise<number> {
    if (rows.length === 0) return 0;
    if (!this.sqlite) return this.insertPortable(rows);
    // The pool has one SQLite connection: hold it only for this batch so other queries (heartbeats) interleave.
    const client = this.knex.client as { acquireConnection(): Promise<SqliteConnection>; releaseConnection(c: SqliteConnection): Promise<void> };
    const conn = await client.acquireConnection();
    try {
      const single = conn.prepare(this.sql);
      const batch = rows.length >= ROWS_PER_STATEMENT ? conn.prepare(this.batchSql) : null;
      let inserted = 0;
      conn.transaction(() => {
        let i = 0;
        if (batch) {
          for (; i + ROWS_PER_STATEMENT <= rows.length; i += ROWS_PER_STATEMENT) {
            const params: unknown[] = [];
            for (let r = i; r < i + ROWS_PER_STATEMENT; r++) for (const value of rows[r]!) params.push(sqliteValue(value));
            inserted += batch.run(...params).changes;
          }
        }
        for (; i < rows.length; i++) inserted += single.run(...rows[i]!.map(sqliteValue)).changes;
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
