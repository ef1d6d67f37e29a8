import type { Knex } from 'knex';

/**
 * The roster as the platform sees it, per integration. The sync's diff and apply write these; the exports read
 * them. Every text column is NOT NULL unless the OneRoster field is optional. Ids are OneRoster sourcedIds.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('roster_schools', (t) => {
    t.string('integration', 255).notNullable();
    t.string('sourced_id', 255).notNullable();
    t.text('name').notNullable();
    t.string('identifier', 255).nullable();
    t.primary(['integration', 'sourced_id']);
  });

  await knex.schema.createTable('roster_classes', (t) => {
    t.string('integration', 255).notNullable();
    t.string('sourced_id', 255).notNullable();
    t.string('school_id', 255).notNullable();
    t.text('name').notNullable();
    t.text('title').notNullable();
    t.string('class_code', 255).nullable();
    t.text('course_title').nullable();
    t.string('course_code', 255).nullable();
    t.text('term_title').nullable();
    t.text('periods').notNullable(); // comma-joined, '' when none
    t.text('folder_name').nullable();
    t.primary(['integration', 'sourced_id']);
    // Class names are unique within a school: the mapping and the diff look them up this way.
    t.index(['integration', 'school_id'], 'roster_classes_school');
  });

  await knex.schema.createTable('roster_users', (t) => {
    t.string('integration', 255).notNullable();
    t.string('role', 16).notNullable(); // 'teacher' | 'student'
    t.string('sourced_id', 255).notNullable();
    t.text('given_name').notNullable();
    t.text('family_name').notNullable();
    t.string('email', 320).notNullable();
    t.string('school_id', 255).notNullable();
    t.primary(['integration', 'role', 'sourced_id']);
    // Users are matched by email (duplicate-email rule, teacher lookups).
    t.index(['integration', 'email'], 'roster_users_email');
  });

  await knex.schema.createTable('roster_memberships', (t) => {
    t.string('integration', 255).notNullable();
    t.string('role', 16).notNullable(); // 'teacher' | 'student'
    t.string('class_id', 255).notNullable();
    t.string('user_id', 255).notNullable();
    t.integer('is_primary').notNullable().defaultTo(0);
    t.integer('position').notNullable().defaultTo(0); // teachers: 0 = primary first
    t.primary(['integration', 'role', 'class_id', 'user_id']);
    // Exports walk memberships class by class; the diff also finds a user's classes.
    t.index(['integration', 'class_id', 'role'], 'roster_memberships_class');
    t.index(['integration', 'user_id'], 'roster_memberships_user');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('roster_memberships');
  await knex.schema.dropTableIfExists('roster_users');
  await knex.schema.dropTableIfExists('roster_classes');
  await knex.schema.dropTableIfExists('roster_schools');
}
