// Makes sure OpenSSH (sshd, ssh, ssh-keygen) is installed: through apt when we are root
// and it is absent, otherwise with an exact instruction. Used by `npm test` and `npm run demo`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const have = (bin) => ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(path.join(d, bin)));

/** Returns true when OpenSSH is ready; exits the process with instructions otherwise. */
export const ensureOpenSsh = () => {
  if (!have('sshd') || !have('ssh') || !have('ssh-keygen')) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!isRoot) {
      console.error('lkp needs OpenSSH (sshd, ssh, ssh-keygen) here. Install it with:\n  sudo apt-get install -y openssh-server openssh-client');
      process.exit(1);
    }
    console.log('installing openssh-server through apt (sshd is absent)...');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'openssh-server', 'openssh-client'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation dir
  } catch {
    // not root: sshd will say what it misses
  }
};
