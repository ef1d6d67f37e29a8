import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../daemon/src/store/db.js';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../../daemon/src/store/migrations/index.js';
import { parseStoreUrl } from '../../daemon/src/store/url.js';
import { RosterdError } from '../../daemon/src/errors.js';
import { compileStoreForChildren, makeTempDir } from './helpers.js';
import { spawnStoreChild, writeChildScript } from './child.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir();
});
afterAll(() => tmp.cleanup());

async function codeOf(promise: Promise<unknown>): Promise<RosterdError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RosterdError);
  return err as RosterdError;
}

describe('store URL', () => {
  it('accepts absolute, URL-style, relative and memory SQLite URLs', () => {
    expect(parseStoreUrl('sqlite:/var/lib/rosterd/r.db')).toEqual({ dialect: 'sqlite', filename: '/var/lib/rosterd/r.db', memory: false });
    expect(parseStoreUrl('sqlite:///var/lib/rosterd/r.db').filename).toBe('/var/lib/rosterd/r.db');
    expect(parseStoreUrl('sqlite:data/r.db').filename).toBe(join(process.cwd(), 'data/r.db'));
    expect(parseStoreUrl('sqlite::memory:')).toMatchObject({ memory: true });
  });

  it('refuses another scheme with a hint, before touching anything', async () => {
    const err = await codeOf(openStore('postgres://db.example/rosterd'));
    expect(err.code).toBe('ROSTERD_STORE_URL');
    expect(err.message).toContain('postgres');
    expect(err.hint).toContain('sqlite:');
    expect(err.dataEffect).toBe('nothing changed');
    expect((await codeOf(openStore('/just/a/path.db'))).code).toBe('ROSTERD_STORE_URL');
    expect((await codeOf(openStore('sqlite:'))).code).toBe('ROSTERD_STORE_URL');
  });
});

describe('openStore', () => {
  it('creates the folder and an owner-only file, in WAL mode with foreign keys and a busy timeout', async () => {
    const file = join(tmp.dir, 'fresh', 'nested', 'rosterd.db');
    const store = await openStore(`sqlite:${file}`, { busyTimeoutMs: 4321 });
    try {
      expect(store.dialect).toBe('sqlite');
      expect(store.url).toBe(`sqlite:${file}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect((await store.knex.raw('PRAGMA journal_mode'))[0].journal_mode).toBe('wal');
      expect((await store.knex.raw('PRAGMA foreign_keys'))[0].foreign_keys).toBe(1);
      expect((await store.knex.raw('PRAGMA busy_timeout'))[0].timeout).toBe(4321);
      expect((await store.knex.raw('PRAGMA synchronous'))[0].synchronous).toBe(1); // NORMAL
      for (const table of ['runs', 'run_issues', 'run_plans', 'job_locks', 'roster_schools', 'roster_classes', 'roster_users', 'roster_memberships']) {
        expect(await store.knex.schema.hasTable(table), table).toBe(true);
      }
    } finally {
      await store.close();
    }
  });

  it('runs migrations once: reopening applies nothing new and keeps the data', async () => {
    const url = `sqlite:${join(tmp.dir, 'idem.db')}`;
    const first = await openStore(url);
    const run = await first.runs.start({ integration: 'a', job: 'classes', trigger: 'manual' });
    await first.runs.finish(run.id, { status: 'succeeded' });
    await first.close();
    const second = await openStore(url);
    try {
      const applied = await second.knex(MIGRATIONS_TABLE).select('name').orderBy('id');
      expect(applied.map((r: { name: string }) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
      expect((await second.runs.list()).map((r) => r.id)).toEqual([run.id]);
    } finally {
      await second.close();
    }
  });

  it('enforces the NOT NULL columns and keys of the roster tables', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      await store.knex('roster_schools').insert({ integration: 'a', sourced_id: 's1', name: 'School', identifier: null });
      await expect(store.knex('roster_schools').insert({ integration: 'a', sourced_id: 's1', name: 'Again' })).rejects.toThrow(/UNIQUE/);
      await expect(store.knex('roster_users').insert({ integration: 'a', role: 'student', sourced_id: 'u1', given_name: 'A', family_name: 'B', email: null, school_id: 's1' })).rejects.toThrow(/NOT NULL/);
      // The same sourcedId may be a teacher and a student: role is part of the key.
      await store.knex('roster_users').insert([
        { integration: 'a', role: 'student', sourced_id: 'u1', given_name: 'A', family_name: 'B', email: 'a@x', school_id: 's1' },
        { integration: 'a', role: 'teacher', sourced_id: 'u1', given_name: 'A', family_name: 'B', email: 'a@x', school_id: 's1' },
      ]);
    } finally {
      await store.close();
    }
  });

  it('opens read-only without writing, and refuses a missing file', async () => {
    const file = join(tmp.dir, 'ro.db');
    const rw = await openStore(`sqlite:${file}`);
    await rw.runs.finish((await rw.runs.start({ integration: 'a', job: 'students', trigger: 'manual' })).id, { status: 'failed', errorCode: 'X', errorMessage: 'boom' });
    await rw.close();
    const ro = await openStore(`sqlite:${file}`, { readonly: true });
    try {
      expect((await ro.runs.list())[0]).toMatchObject({ status: 'failed', errorCode: 'X' });
      await expect(ro.runs.start({ integration: 'a', job: 'students', trigger: 'manual' })).rejects.toThrow(/readonly/i);
    } finally {
      await ro.close();
    }
    const missing = await codeOf(openStore(`sqlite:${join(tmp.dir, 'nope', 'missing.db')}`, { readonly: true }));
    expect(missing.code).toBe('ROSTERD_STORE_NOT_FOUND');
    expect(missing.message).toContain('missing.db');
  });

  it('names the folder when it cannot create the store', async () => {
    const blocker = join(tmp.dir, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const err = await codeOf(openStore(`sqlite:${join(blocker, 'sub', 'r.db')}`));
    expect(err.code).toBe('ROSTERD_STORE_OPEN_FAILED');
    expect(err.message).toContain(join(blocker, 'sub'));
    expect(err.hint).toBeTruthy();
  });

  it('refuses a file that is not a database', async () => {
    const file = join(tmp.dir, 'garbage.db');
    writeFileSync(file, 'this is not SQLite, just some text that is long enough to look like a header '.repeat(20));
    const err = await codeOf(openStore(`sqlite:${file}`));
    expect(err.code).toBe('ROSTERD_STORE_OPEN_FAILED');
    expect(err.message).toContain(file);
  });

  it('recognises a store upgraded by a newer rosterd', async () => {
    const url = `sqlite:${join(tmp.dir, 'newer.db')}`;
    const store = await openStore(url);
    await store.knex(MIGRATIONS_TABLE).insert({ name: '999_from_the_future', batch: 9, migration_time: new Date().toISOString() });
    await store.close();
    const err = await codeOf(openStore(url));
    expect(err.code).toBe('ROSTERD_STORE_TOO_NEW');
    expect((await codeOf(openStore(url, { readonly: true }))).code).toBe('ROSTERD_STORE_TOO_NEW');
  });

  it('lets several processes open and migrate one fresh file at the same time', async () => {
    const dbModule = compileStoreForChildren();
    const script = writeChildScript(tmp.dir);
    mkdirSync(join(tmp.dir, 'race'));
    const url = `sqlite:${join(tmp.dir, 'race', 'r.db')}`;
    const children = [0, 1, 2].map(() => spawnStoreChild(script, dbModule, url, 'open'));
    const results = await Promise.all(children.map((c) => c.ready));
    expect(results).toEqual(results.map(() => ({ ready: true, migrations: MIGRATIONS.length })));
    expect(await Promise.all(children.map((c) => c.exited))).toEqual([0, 0, 0]);
  });
});
