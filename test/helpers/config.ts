import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SisEndpoint {
  tokenUrl: string;
  urlPrefix: string;
  clientId: string;
  clientSecret: string;
  orgId: string;
}

export interface TestConfigOptions {
  version?: '1.1' | '1.2';
  name?: string;
  classNameFormat?: string;
  studentFolders?: boolean;
  folderNameSuffix?: string;
  orgId?: string;
  pageSize?: number;
  extraIntegrations?: string;
  /** More keys of the integration, as YAML indented by four spaces (safety, quality, notifications...). */
  extra?: string;
}

/** One entry of `integrations:` for a SIS on loopback, its secret in ./sis-secret beside the config. */
export function integrationYaml(sis: Omit<SisEndpoint, 'clientSecret'>, options: TestConfigOptions = {}): string {
  return `  - name: ${options.name ?? 'springfield'}
    sis:
      version: "${options.version ?? '1.2'}"
      tokenUrl: ${sis.tokenUrl}
      urlPrefix: ${sis.urlPrefix}
      clientId: ${sis.clientId}
      clientSecret: { file: ./sis-secret }
      orgId: ${options.orgId ?? sis.orgId}
      pageSize: ${options.pageSize ?? 50}
      timeoutSeconds: 10
    hapara:
      classNameFormat: ${JSON.stringify(options.classNameFormat ?? 'CourseName-Period')}
      studentFolders: ${options.studentFolders ?? true}
      folderNameSuffix: ${JSON.stringify(options.folderNameSuffix ?? '2026')}
${options.extra ?? ''}
`;
}

/**
 * A temp folder with a config pointing at a SIS on loopback, the secret in a mounted-style file beside it
 * (the config's own folder is an allowed secret location), and the store and exports inside the folder.
 */
export async function writeTestConfig(sis: SisEndpoint, options: TestConfigOptions = {}): Promise<{ dir: string; file: string; secretFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rosterd-test-'));
  const secretFile = join(dir, 'sis-secret');
  await writeFile(secretFile, `${sis.clientSecret}\n`, { mode: 0o600 });
  const yaml = `# yaml-language-server: $schema=../schemas/oneroster.schema.json
version: 1
storage:
  url: sqlite:./rosterd.db
exports:
  dir: ./exports
integrations:
${integrationYaml(sis, options)}${options.extraIntegrations ?? ''}`;
  const file = join(dir, 'oneroster.yaml');
  await writeFile(file, yaml);
  return { dir, file, secretFile };
}
