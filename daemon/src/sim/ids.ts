/**
 * SourcedIds of the simulated district. Every id is a fixed prefix plus a zero-padded index, so sorting by
 * sourcedId is the same as sorting by index: paging with sort=sourcedId is then a plain offset into an index range,
 * which is what lets the largest district be served without holding it in memory.
 */

export const ID_WIDTH = { user: 7, class: 6, course: 6, enrollment: 8, school: 4 } as const;

export type IdKind = keyof typeof ID_WIDTH;

const PREFIX: Record<IdKind, string> = { user: 'usr-', class: 'cls-', course: 'crs-', enrollment: 'enr-', school: 'sch-' };

export function makeId(kind: IdKind, index: number): string {
  return PREFIX[kind] + String(index).padStart(ID_WIDTH[kind], '0');
}

/** The index behind an id of this kind, or null when the text is not one (a foreign or malformed id). */
export function parseId(kind: IdKind, id: string): number | null {
  const prefix = PREFIX[kind];
  if (!id.startsWith(prefix) || id.length !== prefix.length + ID_WIDTH[kind]) return null;
  const digits = id.slice(prefix.length);
  if (!/^[0-9]+$/.test(digits)) return null;
  return Number(digits);
}

export const MAIN_DISTRICT_ID = 'dst-0001';
export const OTHER_DISTRICT_ID = 'dst-0002';
export const SCHOOL_YEAR_ID = 'ses-0001';
export const PAST_TERM_ID = 'ses-0002';
export const CURRENT_TERM_ID = 'ses-0003';
/** The user an awkward enrollment points at: no user has this id. */
export const MISSING_USER_ID = 'usr-missing-0001';
