import type { ProgressEvent, JobResult } from '../sync/run.js';
import { describeCounts } from '../sync/diff.js';

/**
 * Progress on stderr: one rewritten line on a terminal, plain throttled lines otherwise (CI logs, kubectl logs).
 * stdout is kept for the summary, so `--format json` output stays parseable.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): (event: ProgressEvent) => void {
  const tty = stream.isTTY === true;
  let lastPlain = 0;
  let lastLine = '';
  const write = (line: string, force: boolean) => {
    if (tty) {
      stream.write(`\r\x1b[2K${line}`);
      lastLine = line;
      if (force) {
        stream.write('\n');
        lastLine = '';
      }
      return;
    }
    const now = Date.now();
    if (force || now - lastPlain >= 2000) {
      stream.write(`${line}\n`);
      lastPlain = now;
    }
  };
  return (event) => {
    switch (event.phase) {
      case 'read':
        write(`${event.integration}: reading ${event.collection} ${bar(event.received)} ${event.received.toLocaleString('en')} records`, false);
        break;
      case 'job':
        write(`${event.integration} ${event.job}: ${event.step} (run ${event.runId})`, event.step === 'started');
        break;
      case 'done':
        // The summary itself goes to stdout at the end; here only the terminal line is closed.
        if (tty && lastLine) stream.write('\n');
        lastLine = '';
        break;
    }
  };
}

/** An indeterminate bar: SIS servers often do not say how many records are coming. */
function bar(received: number): string {
  const width = 20;
  const pos = Math.floor(received / 1000) % width;
  return `[${' '.repeat(pos)}=${' '.repeat(width - pos - 1)}]`;
}

export function summaryLine(result: JobResult): string {
  const changes = Object.entries(result.counts)
    .map(([kind, c]) => `${kind} ${describeCounts(c!)}`)
    .join(', ');
  const issues = Object.entries(result.quality)
    .map(([rule, n]) => `${rule} ${n}`)
    .join(', ');
  const run = result.runId === null ? '' : ` (run ${result.runId})`;
  let line = `${result.integration} ${result.job}: ${result.status}${run}`;
  if (changes) line += `; ${changes}`;
  if (issues) line += `; issues: ${issues}`;
  if (result.error) line += `\n  ${result.error.message}`;
  return line;
}
