import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../daemon/src/store/db.js';
import { CLASSES_HEADER, ENROLLMENTS_HEADER, USERS_HEADER, writeRosterExports } from '../../daemon/src/exports/index.js';
import { RosterdError } from '../../daemon/src/errors.js';
import { makeTempDir } from '../store/helpers.js';
import { parseCsv } from './parse-csv.js';

let tmp: ReturnType<typeof makeTempDir>;
let n = 0;
const opened: Store[] = [];
beforeAll(() => {
  tmp = makeTempDir('rosterd-exports-');
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(() => tmp.cleanup());

async function newStore(): Promise<Store> {
  n += 1;
  const store = await openStore(`sqlite:${join(tmp.dir, `exports-${n}.db`)}`);
  opened.push(store);
  return store;
}

function outDir(): string {
  n += 1;
  return join(tmp.dir, `out-${n}`);
}

function readCsv(path: string): { bom: boolean; rows: string[][]; raw: string } {
  const raw = readFileSync(path, 'utf8');
  const bom = raw.startsWith('\uFEFF');
  return { bom, rows: parseCsv(bom ? raw.slice(1) : raw), raw };
}

const I = 'springfield';

/** A small roster with the awkward records real districts have; rows inserted out of order on purpose. */
async function seed(store: Store): Promise<void> {
  const k = store.knex;
  await k('roster_schools').insert([
    { integration: I, sourced_id: 'sch-2', name: 'Kura Kaupapa Māori o Te Awa', identifier: null },
    { integration: I, sourced_id: 'sch-1', name: 'Springfield Elementary, North', identifier: 'SE-N' },
    { integration: 'other', sourced_id: 'sch-1', name: 'SHOULD NOT APPEAR', identifier: null },
  ]);
  const cls = (sourced_id: string, school_id: string, name: string, extra: Record<string, string | null> = {}) => ({
    integration: I, sourced_id, school_id, name, title: name, class_code: null, course_title: null, course_code: null, term_title: null, periods: '', folder_name: null, ...extra,
  });
  await k('roster_classes').insert([
    cls('cls-3', 'sch-2', 'Te Reo Māori - 2', { class_code: 'TRM2', course_title: 'Te Reo Māori', term_title: 'Term "1"', folder_name: 'Te Reo Māori - 2 Folder' }),
    cls('cls-1', 'sch-1', 'Maths, Year 7', { class_code: '=SUM(A1)', course_title: 'Maths', term_title: '2025 Semester 1', periods: '1,2' }),
    cls('cls-2', 'sch-1', 'Art', { course_title: '-Art-' }),
    { ...cls('cls-x', 'sch-1', 'Other'), integration: 'other' },
  ]);
  const user = (role: string, sourced_id: string, given_name: string, family_name: string, email: string, school_id: string) => ({ integration: I, role, sourced_id, given_name, family_name, email, school_id });
  await k('roster_users').insert([
    user('teacher', 't-3', 'Third', 'Teacher', 'third@school.test', 'sch-1'),
    user('teacher', 't-1', 'Ana', "O'Brien", 'ana@school.test', 'sch-1'),
    user('teacher', 't-2', 'Hēmi', 'Walker', 'hemi@school.test', 'sch-2'),
    user('student', 's-2', '=HYPERLINK("http://evil","x")', 'Smith', 's2@school.test', 'sch-1'),
    user('student', 's-1', 'Mereana', 'Ngāta', 's1@school.test', 'sch-2'),
    user('student', 's-3', '@lice', '+Plus', '-dash@school.test', 'sch-1'),
    user('student', 's-4', 'Line\nBreak', 'Tab\tInside', 's4@school.test', 'sch-9'), // school not in the store
    { ...user('student', 's-9', 'Other', 'District', 'o@x', 'sch-1'), integration: 'other' },
  ]);
  const m = (role: string, class_id: string, user_id: string, is_primary = 0, position = 0) => ({ integration: I, role, class_id, user_id, is_primary, position });
  await k('roster_memberships').insert([
    // cls-1: co-teachers; the primary has the highest position number on purpose.
    m('teacher', 'cls-1', 't-3', 0, 2),
    m('teacher', 'cls-1', 't-1', 0, 1),
    m('teacher', 'cls-1', 't-2', 1, 5),
    m('student', 'cls-1', 's-2'),
    m('student', 'cls-1', 's-1'),
    m('student', 'cls-1', 's-3'),
    // cls-2: no teacher, no students. cls-3: one teacher, one student.
    m('student', 'cls-3', 's-4'),
    m('teacher', 'cls-3', 't-2', 1, 0),
    { ...m('student', 'cls-x', 's-9'), integration: 'other' },
  ]);
}

describe('writeRosterExports', () => {
  it('writes the three files with the documented columns, order and spreadsheet-safe cells', async () => {
    const store = await newStore();
    await seed(store);
    const dir = outDir();
    const result = await writeRosterExports(store, I, dir);
    expect(result.files).toEqual(['classes.csv', 'users.csv', 'enrollments.csv'].map((f) => join(dir, f)));
    expect(result.counts).toEqual({ classes: 3, users: 7, enrollments: 8 });
    expect(readdirSync(dir).sort()).toEqual(['classes.csv', 'enrollments.csv', 'users.csv']);

    const classes = readCsv(join(dir, 'classes.csv'));
    expect(classes.bom).toBe(true);
    expect(classes.rows).toEqual([
      CLASSES_HEADER,
      ['cls-1', 'Maths, Year 7', "'=SUM(A1)", 'Maths', '2025 Semester 1', 'sch-1', 'Springfield Elementary, North', 'hemi@school.test;ana@school.test;third@school.test', '3', ''],
      ['cls-2', 'Art', '', "'-Art-", '', 'sch-1', 'Springfield Elementary, North', '', '0', ''],
      ['cls-3', 'Te Reo Māori - 2', 'TRM2', 'Te Reo Māori', 'Term "1"', 'sch-2', 'Kura Kaupapa Māori o Te Awa', 'hemi@school.test', '1', 'Te Reo Māori - 2 Folder'],
    ]);

    const users = readCsv(join(dir, 'users.csv'));
    expect(users.rows).toEqual([
      USERS_HEADER,
      ['t-1', 'teacher', 'Ana', "O'Brien", 'ana@school.test', 'sch-1', 'Springfield Elementary, North'],
      ['t-2', 'teacher', 'Hēmi', 'Walker', 'hemi@school.test', 'sch-2', 'Kura Kaupapa Māori o Te Awa'],
      ['t-3', 'teacher', 'Third', 'Teacher', 'third@school.test', 'sch-1', 'Springfield Elementary, North'],
      ['s-1', 'student', 'Mereana', 'Ngāta', 's1@school.test', 'sch-2', 'Kura Kaupapa Māori o Te Awa'],
      ['s-2', 'student', `'=HYPERLINK("http://evil","x")`, 'Smith', 's2@school.test', 'sch-1', 'Springfield Elementary, North'],
      ['s-3', 'student', "'@lice", "'+Plus", "'-dash@school.test", 'sch-1', 'Springfield Elementary, North'],
      ['s-4', 'student', 'Line\nBreak', 'Tab\tInside', 's4@school.test', 'sch-9', ''],
    ]);

    const enrollments = readCsv(join(dir, 'enrollments.csv'));
    expect(enrollments.rows).toEqual([
      ENROLLMENTS_HEADER,
      ['cls-1', 't-2', 'teacher'],
      ['cls-1', 't-1', 'teacher'],
      ['cls-1', 't-3', 'teacher'],
      ['cls-1', 's-1', 'student'],
      ['cls-1', 's-2', 'student'],
      ['cls-1', 's-3', 'student'],
      ['cls-3', 't-2', 'teacher'],
      ['cls-3', 's-4', 'student'],
    ]);

    // Byte level: BOM, CRLF everywhere (a lone LF only inside a quoted field), quoted formula, UTF-8 macrons.
    const raw = readFileSync(join(dir, 'users.csv'));
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = raw.toString('utf8');
    expect(text.split('\r\n')[1]).toBe('t-1,teacher,Ana,O\'Brien,ana@school.test,sch-1,"Springfield Elementary, North"');
    expect(text).toContain(`s-2,student,"'=HYPERLINK(""http://evil"",""x"")",Smith`);
    expect(text).toContain('s-4,student,"Line\nBreak",Tab\tInside,');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(raw.includes(Buffer.from('Ngāta', 'utf8'))).toBe(true);
    expect(text).not.toContain('SHOULD NOT APPEAR');
    expect(text).not.toContain('s-9');
  });

  it('writes headers only for an integration with nothing in the store, and can leave out the BOM', async () => {
    const store = await newStore();
    const dir = outDir();
    const result = await writeRosterExports(store, 'empty', dir, { bom: false });
    expect(result.counts).toEqual({ classes: 0, users: 0, enrollments: 0 });
    expect(readFileSync(join(dir, 'classes.csv'), 'utf8')).toBe(CLASSES_HEADER.join(',') + '\r\n');
    expect(readFileSync(join(dir, 'users.csv'), 'utf8')).toBe(USERS_HEADER.join(',') + '\r\n');
    expect(readFileSync(join(dir, 'enrollments.csv'), 'utf8')).toBe('class_id,user_id,role\r\n');
  });

  it('pages through more classes and memberships than fit in one page, in order, without loss', async () => {
    const store = await newStore();
    const classCount = 2345;
    const ids = Array.from({ length: classCount }, (_, i) => `c${String(i).padStart(5, '0')}`);
    await store.knex('roster_schools').insert({ integration: I, sourced_id: 'sch', name: 'School', identifier: null });
    await store.knex('roster_users').insert([
      { integration: I, role: 'teacher', sourced_id: 't', given_name: 'T', family_name: 'T', email: 't@x', school_id: 'sch' },
      ...Array.from({ length: 3 }, (_, i) => ({ integration: I, role: 'student', sourced_id: `s${i}`, given_name: 'S', family_name: 'S', email: `s${i}@x`, school_id: 'sch' })),
    ]);
    // Insert in reverse so that order can only come from the query.
    const shuffled = [...ids].reverse();
    for (let i = 0; i < shuffled.length; i += 100) {
      const chunk = shuffled.slice(i, i + 100);
      await store.knex('roster_classes').insert(chunk.map((id) => ({ integration: I, sourced_id: id, school_id: 'sch', name: id, title: id, periods: '' })));
      await store.knex('roster_memberships').insert(
        chunk.flatMap((id, j) => [
          { integration: I, role: 'teacher', class_id: id, user_id: 't', is_primary: 1, position: 0 },
          ...Array.from({ length: (i + j) % 4 }, (_, s) => ({ integration: I, role: 'student', class_id: id, user_id: `s${s}`, is_primary: 0, position: 0 })),
        ]),
      );
    }
    const expectedStudents = new Map(shuffled.map((id, idx) => [id, idx % 4]));
    const dir = outDir();
    const result = await writeRosterExports(store, I, dir);
    const totalStudents = [...expectedStudents.values()].reduce((a, b) => a + b, 0);
    expect(result.counts).toEqual({ classes: classCount, users: 4, enrollments: classCount + totalStudents });

    const classes = readCsv(join(dir, 'classes.csv')).rows.slice(1);
    expect(classes.map((r) => r[0])).toEqual(ids);
    for (const row of classes) {
      expect(row[7]).toBe('t@x');
      expect(Number(row[8])).toBe(expectedStudents.get(row[0]!));
    }
    const enrollments = readCsv(join(dir, 'enrollments.csv')).rows.slice(1);
    expect(enrollments).toHaveLength(classCount + totalStudents);
    const keys = enrollments.map((r) => r.join('|'));
    expect(new Set(keys).size).toBe(keys.length); // no repeats across page boundaries
    expect(enrollments.map((r) => r[0])).toEqual([...enrollments.map((r) => r[0]!)].sort());
  });

  it('exports from a store opened read-only (the daemon may be writing it)', async () => {
    const store = await newStore();
    await seed(store);
    const writer = store; // stays open, as a running daemon would
    const readonly = await openStore(writer.url, { readonly: true });
    opened.push(readonly);
    const dir = outDir();
    const result = await writeRosterExports(readonly, I, dir);
    expect(result.counts).toEqual({ classes: 3, users: 7, enrollments: 8 });
    expect(readFileSync(join(dir, 'enrollments.csv'), 'utf8')).toBe(
      readFileSync((await writeRosterExports(writer, I, outDir())).files[2]!, 'utf8'),
    );
  });

  it('replaces earlier files completely and leaves no temp files', async () => {
    const store = await newStore();
    await seed(store);
    const dir = outDir();
    mkdirSync(dir);
    writeFileSync(join(dir, 'classes.csv'), 'old content that is much longer than nothing '.repeat(1000));
    await writeRosterExports(store, 'empty', dir);
    expect(readFileSync(join(dir, 'classes.csv'), 'utf8')).toBe('\uFEFF' + CLASSES_HEADER.join(',') + '\r\n');
    expect(readdirSync(dir).sort()).toEqual(['classes.csv', 'enrollments.csv', 'users.csv']);
  });
});

describe('writeRosterExports failures', () => {
  async function expectWriteFailed(promise: Promise<unknown>, folder: string): Promise<RosterdError> {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RosterdError);
    const e = err as RosterdError;
    expect(e.code).toBe('ROSTERD_EXPORT_WRITE_FAILED');
    expect(e.message).toContain(folder);
    expect(e.dataEffect).toBe('nothing changed');
    expect(e.hint).toBeTruthy();
    return e;
  }

  it('names the folder when a file is in the way of it', async () => {
    const store = await newStore();
    const blocker = join(tmp.dir, `blocker-${n}`);
    writeFileSync(blocker, 'x');
    await expectWriteFailed(writeRosterExports(store, I, blocker), blocker);
    await expectWriteFailed(writeRosterExports(store, I, join(blocker, 'sub')), join(blocker, 'sub'));
  });

  it('changes no file when one of them cannot be replaced', async () => {
    const store = await newStore();
    await seed(store);
    const dir = outDir();
    mkdirSync(join(dir, 'users.csv'), { recursive: true });
    writeFileSync(join(dir, 'classes.csv'), 'previous');
    const err = await expectWriteFailed(writeRosterExports(store, I, dir), dir);
    expect(err.message).toContain('users.csv');
    expect(readFileSync(join(dir, 'classes.csv'), 'utf8')).toBe('previous');
    expect(readdirSync(dir).sort()).toEqual(['classes.csv', 'users.csv']);
  });

  it('removes its temp files and keeps the previous files when the store fails mid-export', async () => {
    const store = await newStore();
    await seed(store);
    const dir = outDir();
    await writeRosterExports(store, I, dir);
    const before = readFileSync(join(dir, 'users.csv'), 'utf8');
    await store.knex.schema.dropTable('roster_memberships'); // classes.csv needs it: the export fails part-way
    await expect(writeRosterExports(store, I, dir)).rejects.toThrow(/roster_memberships/);
    expect(readdirSync(dir).sort()).toEqual(['classes.csv', 'enrollments.csv', 'users.csv']);
    expect(readFileSync(join(dir, 'users.csv'), 'utf8')).toBe(before);
  });

  it.skipIf(process.getuid?.() === 0)('reports a folder without write permission', async () => {
    const store = await newStore();
    const dir = outDir();
    mkdirSync(dir);
    chmodSync(dir, 0o500);
    try {
      await expectWriteFailed(writeRosterExports(store, I, dir), dir);
      expect(existsSync(join(dir, 'classes.csv'))).toBe(false);
    } finally {
      chmodSync(dir, 0o700);
    }
  });
});
