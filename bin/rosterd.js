#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled TypeScript (npm run build).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // Only a bug reaches here: user errors are reported by the commands themselves.
    process.stderr.write(`rosterd: internal error: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
