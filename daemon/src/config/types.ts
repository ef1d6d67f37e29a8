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

/** A class-name format: one of the five Hāpara formats, or a {{token}} template (roster/naming.ts). */
export type ClassNameFormat = string;

/** Where the operator allows secret references to point; widened only by flag or environment, never by the config. */
export interface SecretPolicy {
  fileDirs: string[];
  envPrefixes: string[];
}
