import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../daemon/src/store/db.js';
import { BulkInserter } from '../../daemon/src/store/bulk.js';

describe('BulkInserter', () => {
  it('inserts many rows per statement, skipping repeated keys within and across batches, and counts only new rows', async () => {
    const store = await openStore(`sqlite:${join(await mkdtemp(join(tmpdir(), 'rosterd-bulk-')), 'bulk.db')}`);
    try {
      await store.knex.schema.createTable('t', (t) => {
        t.text('id').primary();
        t.text('name').nullable();
        t.integer('n').nullable();
      });
      const inserter = new BulkInserter(store.knex, 't', ['id', 'name', 'n'], ['id']);
      // 130 rows: ids 0..99 then 30 repeats (some inside the first 50-row statement, some in the remainder).
      const rows = [...Array.from({ length: 100 }, (_, i) => [`id-${String(i).padStart(3, '0')}`, i % 7 === 0 ? null : `name ${i}`, i]), ...Array.from({ length: 30 }, (_, i) => [`id-${String(i * 3).padStart(3, '0')}`, 'repeat', -1])];
      rows.splice(10, 0, ['id-001', 'early repeat', -2]);
      expect(await inserter.insert(rows)).toBe(100);
      expect(await inserter.insert(rows.slice(0, 7))).toBe(0);
      const stored = (await store.knex('t').select('*').orderBy('id')) as { id: string; name: string | null; n: number }[];
      expect(stored).toHaveLength(100);
      // The first occurrence of a key wins; later repeats change nothing.
      expect(stored[1]).toEqual({ id: 'id-001', name: 'name 1', n: 1 });
      expect(stored[0]).toEqual({ id: 'id-000', name: null, n: 0 });
      expect(stored[99]).toEqual({ id: 'id-099', name: 'name 99', n: 99 });
    } finally {
      await store.close();
    }
  });
});
