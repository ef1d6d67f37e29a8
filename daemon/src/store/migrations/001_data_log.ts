import type { Knex } from 'knex';

/**
 * The data log: one row per run (one job of one integration), the run's issues, and the per-(integration, job)
 * lock row that keeps a second writer out. Timestamps are ISO-8601 UTC text: portable, sortable, readable.
 * Columns for held runs (plan, decision) exist from the start so issue 5 needs no table rebuild on SQLite.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('runs', (t) => {
    t.increments('id').primary();
    t.string('integration', 255).notNullable();
    t.string('job', 32).notNullable();
    t.string('trigger', 32).notNullable();
    t.string('status', 32).notNullable();
    t.string('started_at', 32).notNullable();
    t.string('ended_at', 32).nullable();
    t.text('counts').nullable(); // JSON
    t.string('error_code', 128).nullable();
    t.text('error_message').nullable();
    t.integer('issue_count').notNullable().defaultTo(0);
    // Who ran it: lets an operator find the process, and the next run explain a takeover.
    t.integer('pid').nullable();
    t.string('host', 255).nullable();
    // A held run's decision (issue 5): approved or discarded, by whom, when.
    t.string('decision', 32).nullable();
    t.string('decided_by', 255).nullable();
    t.string('decided_at', 32).nullable();
    t.index(['integration', 'job', 'id'], 'runs_integration_job_id');
    t.index(['started_at'], 'runs_started_at');
  });

  await knex.schema.createTable('run_issues', (t) => {
    t.increments('id').primary();
    t.integer('run_id').unsigned().notNullable().references('id').inTable('runs').onDelete('CASCADE');
    t.string('rule', 128).notNullable();
    t.string('severity', 16).notNullable();
    t.string('record_kind', 64).nullable();
    t.string('record_id', 255).nullable();
    t.text('message').notNullable();
    t.index(['run_id', 'id'], 'run_issues_run_id');
  });

  // A held run's plan is kept apart from `runs` so listing runs never drags large JSON along.
  await knex.schema.createTable('run_plans', (t) => {
    t.integer('run_id').unsigned().primary().references('id').inTable('runs').onDelete('CASCADE');
    t.text('plan').notNullable(); // JSON
    t.string('created_at', 32).notNullable();
  });

  await knex.schema.createTable('job_locks', (t) => {
    t.string('integration', 255).notNullable();
    t.string('job', 32).notNullable();
    t.integer('run_id').unsigned().notNullable();
    t.integer('pid').notNullable();
    t.string('host', 255).notNullable();
    t.string('token', 64).notNullable();
    t.string('acquired_at', 32).notNullable();
    t.string('heartbeat_at', 32).notNullable();
    t.primary(['integration', 'job']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('job_locks');
  await knex.schema.dropTableIfExists('run_plans');
  await knex.schema.dropTableIfExists('run_issues');
  await knex.schema.dropTableIfExists('runs');
}
