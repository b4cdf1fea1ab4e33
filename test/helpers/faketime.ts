// libfaketime for a child process: its clock reads `offset` from the true time (e.g. `-1h`,
// `+50m`), timers keep real time. scripts/ensure-faketime.js installs it for `npm test`.
import { existsSync } from 'node:fs';

// Where Debian's `faketime` package puts it (the same list as scripts/ensure-faketime.js).
const LIBS = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1'];

/** Environment that offsets a child's clock; throws with the install command when absent. */
export const faketimeEnv = (offset: string): Record<string, string> => {
  const lib = LIBS.find((f) => existsSync(f));
  if (!lib) throw new Error('libfaketime is absent: apt-get install -y faketime (npm test installs it when run as root)');
  return { LD_PRELOAD: lib, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_NO_CACHE: '1' };
};
