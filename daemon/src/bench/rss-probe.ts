// Loaded with `node --import` into a measured child process: at exit, writes its peak RSS (bytes) to
// $ROSTERD_BENCH_RSS_FILE. Peak RSS is what the kernel counted (getrusage ru_maxrss), not a sample.
import { writeFileSync } from 'node:fs';

const target = process.env.ROSTERD_BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => {
    writeFileSync(target, String(process.resourceUsage().maxRSS * 1024));
  });
}
