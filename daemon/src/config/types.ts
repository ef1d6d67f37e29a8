// GENERATED from schemas/oneroster.schema.json by daemon/src/config/schema-to-ts.ts: do not edit by hand.
// Regenerate: npm run build && node dist/config/schema-to-ts.js > daemon/src/config/types.ts
// The shape of a LOADED config: schema defaults applied, relative paths made absolute, secrets still references.

/** Configuration for rosterd: where it keeps its state, how it is reached, and one integration per district or school that it syncs from a SIS over OneRoster. Secrets are never written here: use a secret reference ({ env: NAME } or { file: PATH }). */
export interface Config {
  /** The version of this configuration format. Always 1. */
  version: 1;
  /** Where rosterd keeps its state (last good roster, run history, data log). */
  storage: {
    /** The database URL. sqlite:PATH is the embedded database (PATH relative to this file's folder), or sqlite::memory: for a throwaway one. */
    url: string;
    /** How many days the data log keeps finished runs and their issues (which name students). Older ones are deleted by the daemon once a day and at start. */
    retentionDays: number;
  };
  /** The daemon's HTTP server (health, metrics, the sync trigger). */
  server: {
    /** HOST:PORT to listen on. Keep it on loopback unless a proxy or network policy protects it. */
    listen: string;
    /** Secret reference to the bearer token that protects the admin endpoints (the sync trigger). Without it those endpoints are off. */
    adminToken?: SecretRef;
    /** The address people and tools reach this daemon at (for example behind an ingress), used for the link to the run in notifications: <publicUrl>/api/v1/runs/<id>. Leave out for no link. */
    publicUrl?: string;
  };
  /** Where the Hāpara export files are written. */
  exports: {
    /** The folder for export files, relative to this file's folder unless absolute. */
    dir: string;
    /** How many of each integration's newest run folders the daemon keeps under DIR/<integration>/ (the one `latest` points at always stays). */
    keep: number;
  };
  /** How the long-running daemon (`rosterd run`) behaves. Changes apply on reload, except logLevel from ROSTERD_LOG_LEVEL, which wins. */
  daemon: {
    /** The least important log lines written to stdout (JSON lines). ROSTERD_LOG_LEVEL overrides it. */
    logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
    /** On SIGTERM or SIGINT, how long running syncs may take to finish before they are stopped (rolled back and recorded as interrupted). Keep it below the pod terminationGracePeriodSeconds. */
    shutdownGraceSeconds: number;
    /** How many integrations may sync at the same time; the rest wait their turn. Each runs in its own worker thread. */
    maxConcurrentSyncs: number;
    /** How often the daemon re-reads the config file's checksum, in case a file-system event was missed. */
    configCheckSeconds: number;
  };
  /** One entry per district or school to sync; one daemon serves many. */
  integrations: IntegrationConfig[];
}

/** A reference to a secret, never the secret itself: { env: NAME } reads an environment variable (by default only names starting with ROSTERD_); { file: PATH } reads a file, trailing newline trimmed (by default only under /var/run/secrets/rosterd, /run/secrets/rosterd or this file's folder). The operator widens these with --allow-secret-env / --allow-secret-dir or ROSTERD_SECRET_ENV_PREFIXES / ROSTERD_SECRET_DIRS. */
export type SecretRef = { env: string } | { file: string };

/** One district or school: the SIS it reads and how its classes appear in Hāpara. */
export interface IntegrationConfig {
  /** A short unique name: lower-case letters, digits and dashes. It appears in logs, metrics and export file names. */
  name: string;
  /** false keeps the integration in the file but never syncs it. */
  enabled: boolean;
  sis: SisConfig;
  hapara: HaparaConfig;
  schedule: ScheduleConfig;
  /** Who is told about this integration's sync results, and how: a list of webhook, slack and email targets, each with the events it wants. Empty for none. */
  notifications: NotificationTarget[];
  safety: SafetyConfig;
  quality: QualityConfig;
}

/** A place told about this integration's sync results. `type` picks the kind: webhook (signed JSON POST), slack (a Slack-compatible incoming webhook) or email (over SMTP). Each target's secrets go only to that target, and are read at delivery time, so a rotated secret needs no reload. Delivery is retried (3 attempts, capped backoff), never delays or fails a sync, and its failures are logged without secrets and counted in rosterd_notifications_total{target,result}. */
export type NotificationTarget = WebhookTarget | SlackTarget | EmailTarget;

/** A sync outcome a target can ask for: failed (the run failed; nothing applied), held (a run was held for an admin's approval: sent when a held plan appears or changes, not on every scheduled run), succeeded_with_issues (applied, with data-quality findings), succeeded (applied, no findings), recovered (the first success after a failed or held run). */
export type NotifyEvent = 'failed' | 'held' | 'succeeded_with_issues' | 'succeeded' | 'recovered';

/** POSTs each event as JSON ({ integration, job, runId, status, kind, counts, topIssues, error, runUrl, at }) with the headers Content-Type: application/json, X-Rosterd-Event: <kind>, X-Rosterd-Timestamp: <unix seconds> and X-Rosterd-Signature: sha256=<hex>. To verify, the receiver computes HMAC-SHA256 with the shared key over the bytes "<X-Rosterd-Timestamp>.<raw request body>", compares its hex digest with the header in constant time, and rejects timestamps more than a few minutes old (replays). A 2xx answer is a delivery; anything else is retried. */
export interface WebhookTarget {
  /** A short name, unique within the integration: lower-case letters, digits and dashes. It appears in logs and in the rosterd_notifications_total metric. */
  name: string;
  /** webhook: a signed JSON POST. */
  type: 'webhook';
  /** The events this target receives, of: failed, held, succeeded_with_issues, succeeded, recovered. */
  events: NotifyEvent[];
  /** Where the JSON is POSTed. https, or http only on loopback; no user name or password in it. */
  url: string;
  /** Secret reference to the HMAC-SHA256 key that signs each request (X-Rosterd-Signature), e.g. { env: ROSTERD_WEBHOOK_KEY }. The receiver holds the same key. */
  signingSecret: SecretRef;
  /** How long one delivery attempt may take before it is abandoned (and retried). */
  timeoutSeconds: number;
}

/** Posts a readable summary ({ text, blocks }) to a Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat, ...). */
export interface SlackTarget {
  /** A short name, unique within the integration: lower-case letters, digits and dashes. It appears in logs and in the rosterd_notifications_total metric. */
  name: string;
  /** slack: a Slack-compatible incoming webhook. */
  type: 'slack';
  /** The events this target receives, of: failed, held, succeeded_with_issues, succeeded, recovered. */
  events: NotifyEvent[];
  /** Secret reference to the incoming-webhook URL (anyone who has it can post to the channel, so it is a credential), e.g. { file: /var/run/secrets/rosterd/slack-url }. The URL must be https (http only on loopback). */
  webhookUrl: SecretRef;
  /** How long one delivery attempt may take before it is abandoned (and retried). */
  timeoutSeconds: number;
}

/** Sends a plain-text summary by email over SMTP, with a subject such as "[rosterd] springfield classes held: 812 students would be removed". */
export interface EmailTarget {
  /** A short name, unique within the integration: lower-case letters, digits and dashes. It appears in logs and in the rosterd_notifications_total metric. */
  name: string;
  /** email: a summary over SMTP. */
  type: 'email';
  /** The events this target receives, of: failed, held, succeeded_with_issues, succeeded, recovered. */
  events: NotifyEvent[];
  smtp: SmtpConfig;
  /** The sender address, e.g. rosterd@example.org. */
  from: string;
  /** The recipient addresses. */
  to: string[];
}

/** The SMTP server (mail relay) that sends the email. */
export interface SmtpConfig {
  /** The SMTP server's host name or IP address. */
  host: string;
  /** The SMTP server's port: usually 587 (submission, with starttls) or 465 (with secure). */
  port: number;
  /** Upgrade the connection with STARTTLS before anything else is sent, and fail if the server does not offer it (never fall back to clear text). Ignored with secure: true (the connection is already encrypted). Turning it off without secure is allowed only for a relay on loopback. */
  starttls: boolean;
  /** Implicit TLS from the first byte (SMTPS, usually port 465) instead of STARTTLS. */
  secure: boolean;
  /** The user name to log in with (AUTH PLAIN or LOGIN). Omit both username and password for a relay that needs no login. */
  username?: string;
  /** Secret reference to the SMTP password, e.g. { env: ROSTERD_SMTP_PASSWORD }. Sent only over TLS (or to a loopback relay). */
  password?: SecretRef;
  /** A PEM bundle of extra certificate authorities, for a relay behind a private CA. Relative to this file's folder unless absolute. */
  caFile?: string;
  /** How long one delivery attempt may take before it is abandoned (and retried). */
  timeoutSeconds: number;
}

/** The Student Information System's OneRoster API: the values the SIS vendor gives you (the ones the Hāpara wizard asks for). */
export interface SisConfig {
  /** The OneRoster version the SIS speaks: "1.1" or "1.2" (quote it, so YAML keeps it a string). */
  version: '1.1' | '1.2';
  /** The OAuth 2.0 token endpoint (client credentials). https, or http only on loopback. */
  tokenUrl: string;
  /** The base URL of the OneRoster rostering API, the part before /orgs, /classes, ... https, or http only on loopback. */
  urlPrefix: string;
  /** The OAuth client ID the SIS issued to rosterd. */
  clientId: string;
  /** Secret reference to the OAuth client secret, e.g. { env: ROSTERD_SPRINGFIELD_SIS_SECRET } or { file: /var/run/secrets/rosterd/springfield }. */
  clientSecret: SecretRef;
  /** The SIS ID (or Org ID): the sourcedId of the district or school org whose classes are synced. */
  orgId: string;
  /** How the client credentials are sent to the token endpoint: basic (HTTP Basic header, the OAuth default) or body (form fields). */
  clientAuth: 'basic' | 'body';
  /** OAuth scopes to request. Default: roster-core.readonly and roster.readonly for the SIS version. */
  scopes: string[];
  /** Records per page when reading collections (limit=). */
  pageSize: number;
  /** How long one HTTP request to the SIS may take before it is abandoned. */
  timeoutSeconds: number;
  /** A PEM bundle of extra certificate authorities, for a SIS behind a private CA. Relative to this file's folder unless absolute. */
  caFile?: string;
}

/** How synced classes appear in Hāpara (the wizard's class-name and folder settings). */
export interface HaparaConfig {
  /** How a class is named: CourseName-Period, CourseName-Section, CourseName-SISId, CourseName-Period-SISId, CourseName-Section-SISId, or a template such as "{{course.title}} ({{term.title}})" using class.title, class.classCode, class.sourcedId, class.periods, course.title, course.courseCode, term.title, school.name, school.identifier. */
  classNameFormat: string;
  /** Create a folder per class for each student. */
  studentFolders: boolean;
  /** Text added after each class folder's name, such as the school year. Empty for none. */
  folderNameSuffix: string;
}

/** When the integration syncs ("Sync roster data daily"). */
export interface ScheduleConfig {
  /** Sync on the schedule below. false: only when triggered by hand. */
  syncDaily: boolean;
  /** The IANA time zone the cron expressions are read in, such as Pacific/Auckland. */
  timezone: string;
  /** Cron expression (minute hour day month weekday) for the class sync. */
  classes: string;
  /** Cron expression (minute hour day month weekday) for the student sync. */
  students: string;
  /** What the daemon does at start about a scheduled run it missed while it was down (per the data log): once runs each missed job one time, none waits for the next scheduled time. */
  catchUp: 'once' | 'none';
}

/** Guards against a SIS feed that comes back short: a run that would delete more than a limit allows is held (nothing applied) until an admin approves or discards it (rosterd approve / rosterd discard). */
export interface SafetyConfig {
  /** Deletion limits per kind. A run exceeding either the count or the share of what the store holds for that kind is held. */
  deletions: {
    /** Classes a run may delete. */
    classes: DeletionLimit;
    /** Teachers a run may delete. */
    teachers: DeletionLimit;
    /** Students a run may delete. */
    students: DeletionLimit;
    /** Class memberships (teacher or student) a run may delete. Looser by default: memberships churn. */
    enrollments: DeletionLimit;
  };
  /** Additions-only mode (as ClassLink OneSync offers): create and update, never delete. Records the SIS no longer returns (or marks tobedeleted) are kept in the roster, counted as `kept` per kind in the plan and the data log, and reported in a run issue `deletions_withheld`; deletion limits then have nothing to hold. For a term rollover the SIS is still part-way through. A SIS that returns none of a kind is still held. Turn it off to let the next run apply the deletions, under the deletion limits. */
  additionsOnly: boolean;
}

/** A deletion limit: a count, a share of what the store holds, or both. A key left out (or null) is no limit of that sort; giving one key replaces both defaults. */
export interface DeletionLimit {
  /** Most records of this kind one run may delete. */
  maxCount?: number | null;
  /** Largest share (0 to 1) of the stored records of this kind one run may delete: 0.1 is 10 %. */
  maxShare?: number | null;
}

/** Data-quality rules and their severity: warn (reported with the run; the run goes on) or block (the run is held until an admin approves it). What happens to the record itself is fixed per rule. */
export interface QualityConfig {
  /** Severity per rule. */
  rules: {
    /** A user without an email is never rostered (the platform matches users by email). Severity: warn or block. */
    user_without_email: 'warn' | 'block';
    /** Two users share an email: both are rostered. Severity: warn or block. */
    duplicate_email: 'warn' | 'block';
    /** A class has no current teacher: it is rostered without one. Severity: warn or block. */
    class_without_teacher: 'warn' | 'block';
    /** A class has no current students: it is rostered empty. Severity: warn or block. */
    class_without_students: 'warn' | 'block';
    /** Class names collide within a school: each colliding class gets its sourcedId appended. Severity: warn or block. */
    class_name_collision: 'warn' | 'block';
    /** An enrollment points at a user or class the SIS did not return: the enrollment is skipped. Severity: warn or block. */
    enrollment_unknown_reference: 'warn' | 'block';
    /** A user enrolled in a class in scope belongs to no school in scope: the user is not rostered. Severity: warn or block. */
    user_not_in_scope: 'warn' | 'block';
    /** A teacher is also enrolled as a student in the same class: only the teacher membership is kept. Severity: warn or block. */
    teacher_enrolled_as_student: 'warn' | 'block';
  };
}

/** A class-name format: one of the five Hāpara formats, or a {{token}} template (roster/naming.ts). */
export type ClassNameFormat = string;

/** Where the operator allows secret references to point; widened only by flag or environment, never by the config. */
export interface SecretPolicy {
  fileDirs: string[];
  envPrefixes: string[];
}
