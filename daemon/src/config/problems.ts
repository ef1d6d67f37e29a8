/**
 * A problem found in a config file, pointing at the YAML node it is about.
 * Every check (YAML syntax, schema, rules beyond the schema, secret policy) reports in this one shape,
 * so `rosterd validate` can list them all, in file order, and tools can read them as JSON.
 */
export interface ConfigProblem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Config path such as integrations[0].sis.tokenUrl; '' for the root. */
  path: string;
  message: string;
}

/** Path segments as the checks see them: keys and array indexes. */
export type PathSegment = string | number;

/** integrations[0].sis.tokenUrl */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** "FILE:LINE:COLUMN: path: message" (the path part is left out for the root). */
export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
}

export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path));
}
