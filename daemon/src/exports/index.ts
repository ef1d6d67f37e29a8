import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../store/db.js';
import { RosterdError } from '../errors.js';
import { AtomicFile } from './atomic-file.js';
import { UTF8_BOM } from './csv.js';
import { writeClasses, writeEnrollments, writeUsers } from './roster-files.js';

export { csvCell, csvRow, UTF8_BOM } from './csv.js';
export { CLASSES_HEADER, USERS_HEADER, ENROLLMENTS_HEADER } from './roster-files.js';

export interface RosterExportResult {
  files: string[];
  counts: { classes: number; users: number; enrollments: number };
}

export interface RosterExportOptions {
  /** Start each file with a UTF-8 byte order mark (default true), so Excel shows macrons correctly. */
  bom?: boolean;
}

const FILES = ['classes.csv', 'users.csv', 'enrollments.csv'] as const;

/*
 * File format (what a platform admin or an importer can rely on):
 * - UTF-8 with a byte order mark (Excel otherwise mangles macrons); RFC 4180: CRLF after every record, fields
 *   with `,` `"` CR or LF quoted, quotes doubled. Pass { bom: false } for importers that choke on a BOM.
 * - Text cells starting with `=` `+` `-` `@` tab or CR get a leading `'` (OWASP CSV injection advice).
 * - classes.csv: class_id, class_name, class_code, course, term, school_code, school_name, teacher_emails
 *   (primary teacher first, then by position, joined with `;`), student_count, folder_name; ordered by class_id.
 * - users.csv: user_id, role, given_name, family_name, email, school_code, school_name; teachers then students,
 *   each ordered by user_id.
 * - enrollments.csv: class_id, user_id, role; ordered by class_id, within a class teachers (in teacher_emails
 *   order) then students by user_id.
 * - *_id and school_code are OneRoster sourcedIds. Files are owner-only (0600): they hold students' data.
 */

/**
 * Writes classes.csv, users.csv and enrollments.csv for one integration from what the store holds, straight
 * into `outDir`. All three come from one read transaction (one consistent moment, even while a sync applies in
 * another process). Each file appears only when complete; on any failure no new file appears, the previous
 * files stay as they were, and no temp file is left behind.
 */
export async function writeRosterExports(store: Store, integration: string, outDir: string, options: RosterExportOptions = {}): Promise<RosterExportResult> {
  const bom = options.bom ?? true;
  const paths = FILES.map((name) => join(outDir, name));
  await prepareFolder(outDir, paths);

  const files: AtomicFile[] = [];
  try {
    for (const path of paths) files.push(await AtomicFile.create(path));
    if (bom) for (const file of files) await file.write(UTF8_BOM);
    const [classesFile, usersFile, enrollmentsFile] = files as [AtomicFile, AtomicFile, AtomicFile];
    const counts = await store.knex.transaction(async (trx) => ({
      classes: await writeClasses(trx, integration, classesFile),
      users: await writeUsers(trx, integration, usersFile),
      enrollments: await writeEnrollments(trx, integration, enrollmentsFile),
    }));
    for (const file of files) await file.commit();
    return { files: paths, counts };
  } catch (err) {
    await Promise.all(files.map((f) => f.abort()));
    if (isFsError(err)) throw writeFailed(outDir, err);
    throw err;
  }
}

/** Creates the folder, and refuses up front what would fail at rename time (a folder where a file should go). */
async function prepareFolder(outDir: string, paths: string[]): Promise<void> {
  try {
    await mkdir(outDir, { recursive: true });
  } catch (err) {
    throw writeFailed(outDir, err);
  }
  for (const path of paths) {
    const info = await lstat(path).catch(() => null);
    if (info && info.isDirectory()) {
      throw new RosterdError('ROSTERD_EXPORT_WRITE_FAILED', `cannot write the export files to folder ${outDir}: ${path} is a folder`, {
        hint: `move ${path} out of the way, or choose another --out folder.`,
        dataEffect: 'nothing changed',
      });
    }
  }
}

function writeFailed(outDir: string, err: unknown): RosterdError {
  const reason = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
  return new RosterdError('ROSTERD_EXPORT_WRITE_FAILED', `cannot write the export files to folder ${outDir} (${describeFsCode(reason)})`, {
    hint: `make ${outDir} a writable folder with free space, or choose another --out folder; no export file was changed.`,
    dataEffect: 'nothing changed',
    cause: err,
  });
}

function describeFsCode(code: string): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'a file is in the way of the folder path';
    case 'EEXIST':
      return 'a file exists where the folder should be';
    default:
      return code;
  }
}

function isFsError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
