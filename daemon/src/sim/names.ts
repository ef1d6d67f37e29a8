/**
 * Seeded, index-addressed pseudo-randomness and the name pools the simulated district draws from.
 * A record's fields come from hash(seed, kind, index): no state, so any record can be generated on its own, in any order.
 */

/** A 32-bit avalanche hash (murmur3's finaliser) over seed, a salt naming the field, and the record index. */
export function hash(seed: number, salt: number, index: number): number {
  let h = (seed ^ Math.imul(salt + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function pick<T>(pool: readonly T[], seed: number, salt: number, index: number): T {
  return pool[hash(seed, salt, index) % pool.length] as T;
}

// Salts: one per derived field, so fields of the same record are independent.
export const SALT = { given: 1, family: 2, grade: 3, boolShape: 4, modified: 5, openEnd: 6, openBegin: 7, hrefShape: 8, emailShape: 9 } as const;

/** Given names, several Māori with macrons: a sync that mangles UTF-8 shows it here first. */
export const GIVEN_NAMES = [
  'Aroha', 'Tāne', 'Mere', 'Wiremu', 'Ngaio', 'Kōwhai', 'Rāwiri', 'Hēmi', 'Olivia', 'Liam', 'Amelia', 'Noah',
  'Isla', 'Oliver', 'Charlotte', 'Jack', 'Mia', 'Leo', 'Ava', 'Lucas', 'Zoë', 'José', 'Siosaia', 'Mele',
  'Priya', 'Arjun', 'Mei', 'Wei', 'Fatima', 'Omar', 'Ana', 'Sione', 'Ngā', 'Māia', 'Anahera', 'Tūī',
] as const;

/** Family names with apostrophes, hyphens, spaces and macrons. */
export const FAMILY_NAMES = [
  "O'Brien", "D'Souza", 'Ngata', 'Te Whāiti', 'Pōmare', 'Smith', 'Williams', 'Brown', 'Wilson', 'Taylor',
  'Nguyen', 'Patel', 'Singh', 'Chen', 'Wang', 'Kim', 'Tuilagi', 'Fa\u02bbalogo', 'MacDonald', "O'Neill",
  'García', 'Müller', 'Kaur', 'Parata', 'Tūhoe-Rangi', 'Harris', 'Clark', 'Walker', 'Lee', 'Hall',
] as const;

export const SUBJECTS = [
  ['Mathematics', 'MAT'], ['English', 'ENG'], ['Science', 'SCI'], ['History', 'HIS'], ['Geography', 'GEO'],
  ['Te Reo Māori', 'TRM'], ['Physical Education', 'PED'], ['Music', 'MUS'], ['Visual Arts', 'ART'], ['Drama', 'DRA'],
  ['Biology', 'BIO'], ['Chemistry', 'CHE'], ['Physics', 'PHY'], ['Economics', 'ECO'], ['Computer Science', 'CSC'],
  ['Spanish', 'SPA'], ['French', 'FRE'], ['Health', 'HEA'], ['Statistics', 'STA'], ['Design', 'DES'],
  ['Media Studies', 'MED'], ['Accounting', 'ACC'], ['Classics', 'CLA'], ['Food Technology', 'FOO'],
] as const;

export const SCHOOL_NAMES = [
  'Kōwhai', 'Harbour View', 'Tōtara', 'Hillcrest', 'Riverside', 'Pōhutukawa', 'Greenfield', "St Mary's", 'Westlake',
  'Rimu', 'Northcote', 'Mānuka', 'Lakeside', 'Kauri', 'Eastbrook', 'Matai',
] as const;

/** An email local part from a name: ASCII only (macrons dropped, apostrophes and spaces removed). */
const emailParts = new Map<string, string>();
export function emailPart(name: string): string {
  // Memoised: names come from small pools, and this runs for every user served.
  let part = emailParts.get(name);
  if (part === undefined) {
    part = toEmailPart(name);
    if (emailParts.size < 10_000) emailParts.set(name, part);
  }
  return part;
}

function toEmailPart(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

const DAY_MS = 86_400_000;

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
