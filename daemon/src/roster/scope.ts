import type { Knex } from 'knex';
import { RosterdError } from '../errors.js';
import type { Snapshot } from '../sync/snapshot.js';

export interface Scope {
  org: { sourcedId: string; name: string; type: 'district' | 'school' };
  schoolCount: number;
}

/**
 * Resolves `orgId` against the staged orgs and stages the schools in scope (`scope_schools`): the school
 * itself, or a district's active schools. Nothing outside this table reaches the roster.
 */
export async function resolveScope(snapshot: Snapshot, orgId: string, endpoint: string): Promise<Scope> {
  const knex: Knex = snapshot.knex;
  const orgs = snapshot.table('orgs');
  const org: { sourced_id: string; name: string; type: string; status: string } | undefined = await knex(orgs).where('sourced_id', orgId).first();
  if (!org || org.status !== 'active') {
    throw new RosterdError('ROSTERD_SIS_ORG_NOT_FOUND', `orgId "${orgId}" is not an active org at ${endpoint}/orgs`, {
      dataEffect: 'run failed, roster unchanged',
      hint: 'set sis.orgId to the SIS ID (Org ID) of a district or school: the sourcedId the SIS shows for it, not its name or number.',
    });
  }
  if (org.type !== 'district' && org.type !== 'school') {
    throw new RosterdError('ROSTERD_SIS_ORG_NOT_FOUND', `orgId "${orgId}" at ${endpoint}/orgs is a ${org.type}, not a district or school`, {
      dataEffect: 'run failed, roster unchanged',
      hint: 'set sis.orgId to the sourcedId of the district or of one school.',
    });
  }
  const table = snapshot.table('scope_schools');
  // Both jobs of one snapshot share its scope: stage it once.
  if (!snapshot.hasTable('scope_schools')) await stageSchools(snapshot, org.type, orgId);
  const [{ n }] = await knex(table).count({ n: '*' });
  return { org: { sourcedId: org.sourced_id, name: org.name, type: org.type }, schoolCount: Number(n) };
}

async function stageSchools(snapshot: Snapshot, type: 'district' | 'school', orgId: string): Promise<void> {
  const knex = snapshot.knex;
  const orgs = snapshot.table('orgs');
  const table = await snapshot.createTable('scope_schools', [{ name: 'sourced_id', key: true }, { name: 'name' }, { name: 'identifier' }]);
  const schools = knex(orgs)
    .select('sourced_id', 'name', 'identifier')
    .where({ status: 'active', type: 'school' })
    .andWhere((q) => (type === 'school' ? q.where('sourced_id', orgId) : q.where('parent_id', orgId)));
  await knex.into(knex.raw('?? (sourced_id, name, identifier)', [table])).insert(schools);
}
