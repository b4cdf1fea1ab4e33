// Makes sure libfaketime is installed (the clock-skew test runs `lkp host` with its clock an
// hour off): through apt when we are root and it is absent, otherwise with an instruction.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const FAKETIME_LIBS = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1'];

/** Returns when libfaketime is here; exits the process with instructions otherwise. */
export const ensureFaketime = () => {
  if (FAKETIME_LIBS.some((f) => existsSync(f))) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error('The clock-skew test needs libfaketime. Install it with:\n  sudo apt-get install -y faketime\nthen run npm test again.');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  console.log('installing faketime through apt (libfaketime is absent)...');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'faketime'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
};
