/**
 * Class names as Hāpara shows them: one of the five wizard formats, or a {{token}} template.
 * The config check compiles the format once (so a bad template is a config error with a position);
 * the sync renders it for every class.
 */

export const CLASS_NAME_FORMATS = [
  'CourseName-Period',
  'CourseName-Section',
  'CourseName-SISId',
  'CourseName-Period-SISId',
  'CourseName-Section-SISId',
] as const;

export const TEMPLATE_TOKENS = [
  'class.title',
  'class.classCode',
  'class.sourcedId',
  'class.periods',
  'course.title',
  'course.courseCode',
  'term.title',
  'school.name',
  'school.identifier',
] as const;

export type TemplateToken = (typeof TEMPLATE_TOKENS)[number];

export interface NameContext {
  class: { title: string; classCode: string | null; sourcedId: string; periods: string[] };
  course: { title: string | null; courseCode: string | null };
  term: { title: string | null };
  school: { name: string; identifier: string | null };
}

export type CompiledFormat = { ok: true; render(ctx: NameContext): string } | { ok: false; message: string; offset?: number };

/** Runs of whitespace become one space; ends trimmed (SIS titles often carry stray spaces). */
function tidy(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function tokenValue(token: TemplateToken, ctx: NameContext): string {
  switch (token) {
    case 'class.title':
      return ctx.class.title;
    case 'class.classCode':
      return ctx.class.classCode ?? '';
    case 'class.sourcedId':
      return ctx.class.sourcedId;
    case 'class.periods':
      return ctx.class.periods.join(',');
    case 'course.title':
      return ctx.course.title ?? '';
    case 'course.courseCode':
      return ctx.course.courseCode ?? '';
    case 'term.title':
      return ctx.term.title ?? '';
    case 'school.name':
      return ctx.school.name;
    case 'school.identifier':
      return ctx.school.identifier ?? '';
  }
}

/** The Hāpara format parts: CourseName falls back to the class title when the class has no course. */
const FORMAT_PARTS: Record<string, (ctx: NameContext) => string> = {
  CourseName: (ctx) => tidy(ctx.course.title ?? '') || tidy(ctx.class.title),
  Period: (ctx) => ctx.class.periods.map(tidy).filter((p) => p !== '').join(','),
  Section: (ctx) => tidy(ctx.class.classCode ?? ''),
  SISId: (ctx) => tidy(ctx.class.sourcedId),
};

export function compileClassNameFormat(format: string): CompiledFormat {
  if ((CLASS_NAME_FORMATS as readonly string[]).includes(format)) {
    const parts = format.split('-').map((p) => FORMAT_PARTS[p]!);
    return { ok: true, render: (ctx) => tidy(parts.map((part) => part(ctx)).filter((s) => s !== '').join('-')) };
  }
  if (!format.includes('{{') && !format.includes('}}')) {
    return {
      ok: false,
      message: `"${format}" is neither a class-name format (${CLASS_NAME_FORMATS.join(', ')}) nor a template such as "{{course.title}} ({{term.title}})"`,
    };
  }
  return compileTemplate(format);
}

function compileTemplate(template: string): CompiledFormat {
  const pieces: ((ctx: NameContext) => string)[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    const strayClose = template.indexOf('}}', i);
    if (strayClose !== -1 && (open === -1 || strayClose < open)) {
      return { ok: false, message: `"}}" at character ${strayClose + 1} has no matching "{{"`, offset: strayClose };
    }
    if (open === -1) {
      const literal = template.slice(i);
      pieces.push(() => literal);
      break;
    }
    if (open > i) {
      const literal = template.slice(i, open);
      pieces.push(() => literal);
    }
    const close = template.indexOf('}}', open + 2);
    if (close === -1) {
      return { ok: false, message: `"{{" at character ${open + 1} is never closed with "}}"`, offset: open };
    }
    const token = template.slice(open + 2, close).trim();
    if (token.includes('{{')) {
      return { ok: false, message: `"{{" at character ${open + 1} is never closed with "}}"`, offset: open };
    }
    if (!(TEMPLATE_TOKENS as readonly string[]).includes(token)) {
      return { ok: false, message: `unknown template token "{{${token}}}"; known tokens: ${TEMPLATE_TOKENS.join(', ')}`, offset: open };
    }
    const known = token as TemplateToken;
    pieces.push((ctx) => tokenValue(known, ctx));
    i = close + 2;
  }
  return { ok: true, render: (ctx) => tidy(pieces.map((p) => p(ctx)).join('')) };
}

/** The class folder's name: "name suffix", or just the name when there is no suffix. */
export function folderName(className: string, suffix: string): string {
  const s = tidy(suffix);
  return s === '' ? tidy(className) : `${tidy(className)} ${s}`;
}
