import type { Knex } from 'knex';

/** How many objects of each kind the stored roster of one integration holds (rosterd_roster_objects). */
export async function countRosterObjects(knex: Knex, integration: string): Promise<Record<string, number>> {
  const count = async (table: string, where: Record<string, string>): Promise<number> => {
    const row = (await knex(table).where({ integration, ...where }).count({ n: '*' }).first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  };
  return {
    schools: await count('roster_schools', {}),
    classes: await count('roster_classes', {}),
    teachers: await count('roster_users', { role: 'teacher' }),
    students: await count('roster_users', { role: 'student' }),
    enrollments: await count('roster_memberships', {}),
  };
}
