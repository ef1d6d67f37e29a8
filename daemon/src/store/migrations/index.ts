import type { Knex } from 'knex';
import * as dataLog from './001_data_log.js';
import * as roster from './002_roster.js';

/**
 * Migrations are TypeScript modules imported statically, so they compile into dist/ with everything else and
 * need no directory scanning at runtime (which breaks once the code is bundled or installed from a package).
 * Names are stored in the migrations table: never rename one, only append.
 */
export const MIGRATIONS: ReadonlyArray<{ name: string; migration: Knex.Migration }> = [
  { name: '001_data_log', migration: dataLog },
  { name: '002_roster', migration: roster },
];

type Spec = (typeof MIGRATIONS)[number];

export const migrationSource: Knex.MigrationSource<Spec> = {
  async getMigrations() {
    return [...MIGRATIONS];
  },
  getMigrationName(spec) {
    return spec.name;
  },
  async getMigration(spec) {
    return spec.migration;
  },
};

/** The migrations bookkeeping table (and its `_lock` sibling): named for rosterd, not knex's generic default. */
export const MIGRATIONS_TABLE = 'rosterd_migrations';
