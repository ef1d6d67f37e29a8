/** Exit codes shared by every command; a command over several integrations exits with the worst. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  held: 3,
  config: 78, // EX_CONFIG, as Vector and sysexits.h use it
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Worst-first order used to combine the outcomes of several integrations. */
const severity: Record<number, number> = { 0: 0, 3: 1, 1: 2, 78: 3, 2: 4, 130: 5 };

export function worstExitCode(codes: number[]): number {
  let worst = 0;
  for (const code of codes) if ((severity[code] ?? 2) > (severity[worst] ?? 0)) worst = code;
  return worst;
}
