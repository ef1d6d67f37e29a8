/**
 * The shape of a loaded, schema-checked config, with defaults applied and relative paths made absolute.
 * schemas/oneroster.schema.json is the single source of truth; test/config/types-agree.test.ts keeps this in step with it.
 * Secrets stay references here: they are resolved only when used (config/secrets.ts).
 */

export type SecretRef = { env: string } | { file: string };

export type ClassNameFormat = string; // one of the five Hāpara formats, or a {{token}} template

export interface SisConfig {
  version: '1.1' | '1.2';
  tokenUrl: string;
  urlPrefix: string;
  clientId: string;
  clientSecret: SecretRef;
  orgId: string;
  clientAuth: 'basic' | 'body';
  scopes: string[];
  pageSize: number;
  timeoutSeconds: number;
  /** Optional PEM bundle of extra CAs (absolute path), for a SIS behind a private CA. */
  caFile?: string;
}

export interface HaparaConfig {
  classNameFormat: ClassNameFormat;
  studentFolders: boolean;
  folderNameSuffix: string;
}

export interface ScheduleConfig {
  syncDaily: boolean;
  timezone: string;
  classes: string;
  students: string;
}

export interface IntegrationConfig {
  name: string;
  enabled: boolean;
  sis: SisConfig;
  hapara: HaparaConfig;
  schedule: ScheduleConfig;
}

export interface Config {
  version: 1;
  storage: { url: string };
  server: { listen: string; adminToken?: SecretRef };
  exports: { dir: string };
  integrations: IntegrationConfig[];
}

/** Where the operator allows secret references to point; widened only by flag or environment, never by the config. */
export interface SecretPolicy {
  fileDirs: string[];
  envPrefixes: string[];
}
