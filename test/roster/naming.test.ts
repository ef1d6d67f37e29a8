/** Class names: the five Hāpara formats, {{token}} templates, and folder names. */
import { describe, expect, it } from 'vitest';
import { CLASS_NAME_FORMATS, compileClassNameFormat, folderName, TEMPLATE_TOKENS, type NameContext } from '../../daemon/src/roster/naming.js';
import { disambiguate } from '../../daemon/src/roster/build.js';

const ctx = (over: Partial<{ [K in keyof NameContext]: Partial<NameContext[K]> }> = {}): NameContext => ({
  class: { title: 'Algebra I - Period 3', classCode: 'ALG1-03', sourcedId: 'class-123', periods: ['3'], ...over.class },
  course: { title: 'Algebra I', courseCode: 'MATH-ALG1', ...over.course },
  term: { title: 'Fall 2026', ...over.term },
  school: { name: 'Springfield High', identifier: 'SHS', ...over.school },
});

function render(format: string, c: NameContext = ctx()): string {
  const compiled = compileClassNameFormat(format);
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.render(c);
}

describe('Hāpara class-name formats', () => {
  it('renders each of the five formats', () => {
    expect(CLASS_NAME_FORMATS.map((f) => render(f))).toEqual([
      'Algebra I-3',
      'Algebra I-ALG1-03',
      'Algebra I-class-123',
      'Algebra I-3-class-123',
      'Algebra I-ALG1-03-class-123',
    ]);
  });

  it('joins several periods with commas and drops empty parts', () => {
    expect(render('CourseName-Period', ctx({ class: { periods: ['1', '2'] } }))).toBe('Algebra I-1,2');
    expect(render('CourseName-Period', ctx({ class: { periods: [] } }))).toBe('Algebra I');
    expect(render('CourseName-Section-SISId', ctx({ class: { classCode: null } }))).toBe('Algebra I-class-123');
  });

  it('falls back to the class title when the class has no course', () => {
    expect(render('CourseName-Period', ctx({ course: { title: null } }))).toBe('Algebra I - Period 3-3');
  });

  it('collapses whitespace and trims', () => {
    expect(render('CourseName-Section', ctx({ course: { title: '  Algebra \t  I ' }, class: { classCode: ' A 1 ' } }))).toBe('Algebra I-A 1');
  });
});

describe('templates', () => {
  it('replaces every token, with optional spaces inside the braces', () => {
    const all = TEMPLATE_TOKENS.map((t) => `{{${t}}}`).join('|');
    expect(render(all)).toBe('Algebra I - Period 3|ALG1-03|class-123|3|Algebra I|MATH-ALG1|Fall 2026|Springfield High|SHS');
    expect(render('{{ course.title }} ({{term.title}})')).toBe('Algebra I (Fall 2026)');
  });

  it('renders missing values as empty and tidies the result', () => {
    expect(render('{{course.title}}  {{term.title}} {{school.identifier}}', ctx({ term: { title: null }, school: { identifier: null } }))).toBe('Algebra I');
  });

  it('rejects unknown tokens, naming them', () => {
    const r = compileClassNameFormat('{{course.title}} {{teacher.name}}');
    expect(r).toMatchObject({ ok: false, offset: 17 });
    expect(!r.ok && r.message).toMatch(/unknown template token "\{\{teacher\.name\}\}"/);
  });

  it('rejects unbalanced braces', () => {
    expect(compileClassNameFormat('{{course.title')).toMatchObject({ ok: false, offset: 0, message: expect.stringMatching(/never closed/) });
    expect(compileClassNameFormat('course.title}}')).toMatchObject({ ok: false, offset: 12, message: expect.stringMatching(/no matching "\{\{"/) });
    expect(compileClassNameFormat('{{course.title} {{term.title}}')).toMatchObject({ ok: false, message: expect.stringMatching(/never closed/) });
  });

  it('rejects a plain string that is neither a format nor a template', () => {
    expect(compileClassNameFormat('CourseName-Teacher')).toMatchObject({ ok: false, message: expect.stringMatching(/neither a class-name format/) });
  });
});

describe('folderName', () => {
  it('appends the suffix with a space, or nothing when it is empty', () => {
    expect(folderName('Algebra I-3', '2026')).toBe('Algebra I-3 2026');
    expect(folderName('Algebra I-3', '')).toBe('Algebra I-3');
    expect(folderName('Algebra I-3', '  ')).toBe('Algebra I-3');
  });
});

describe('unique class names within a school', () => {
  const cls = (sourced_id: string, school_id: string, name: string) => ({ row: { sourced_id, school_id }, name });

  it('appends the sourcedId to every class of a colliding group, per school, case-insensitively', () => {
    const named = [cls('c2', 's1', 'Algebra-3'), cls('c1', 's1', 'algebra-3'), cls('c3', 's2', 'Algebra-3'), cls('c4', 's1', 'Biology-1')];
    const collisions = disambiguate(named);
    expect(named.map((e) => e.name)).toEqual(['Algebra-3-c2', 'algebra-3-c1', 'Algebra-3', 'Biology-1']);
    expect(collisions).toEqual([{ schoolId: 's1', name: 'Algebra-3', classIds: ['c1', 'c2'] }]);
  });

  it('additions-only: a class kept on the platform keeps its name, and the current class that collides with it moves', () => {
    // A term rollover: last term's Algebra-3 is no longer in the SIS but kept; this term's Algebra-3 arrives.
    const named = [cls('new-1', 's1', 'Algebra-3'), cls('new-2', 's1', 'Biology-1')];
    const kept = [{ sourced_id: 'old-1', school_id: 's1', name: 'Algebra-3' }, { sourced_id: 'old-2', school_id: 's2', name: 'Biology-1' }];
    const collisions = disambiguate(named, kept);
    expect(named.map((e) => e.name)).toEqual(['Algebra-3-new-1', 'Biology-1']);
    expect(collisions).toEqual([{ schoolId: 's1', name: 'Algebra-3', classIds: ['new-1', 'old-1'], keptIds: ['old-1'] }]);
  });
});
