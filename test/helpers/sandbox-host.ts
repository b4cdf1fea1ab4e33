// A sandbox "host" for lkp host tests: an ssh dir in /tmp with real host keys and a
// stock-looking sshd_config (with a Match block) that sshd accepts as is.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { genKey, tempDir } from './openssh.js';

export interface SandboxHost {
  readonly root: string;
  readonly sshDir: string;
  readonly sshdConfig: string;
  readonly pidFile: string;
}

export const makeSandboxHost = async (opts: { keyTypes?: Array<'ed25519' | 'ecdsa-256' | 'rsa-3072'> } = {}): Promise<SandboxHost> => {
  const root = tempDir('lkp-host-');
  const sshDir = path.join(root, 'etc/ssh');
  mkdirSync(sshDir, { recursive: true });
  const types = opts.keyTypes ?? ['ed25519', 'ecdsa-256'];
  const names: Record<string, string> = { ed25519: 'ssh_host_ed25519_key', 'ecdsa-256': 'ssh_host_ecdsa_key', 'rsa-3072': 'ssh_host_rsa_key' };
  for (const t of types) await genKey(sshDir, names[t] as string, t);
  const pidFile = path.join(root, 'sshd.pid');
  const sshdConfig = path.join(sshDir, 'sshd_config');
  writeFileSync(
    sshdConfig,
    [
      '# sandbox sshd for lkp tests',
      ...types.map((t) => `HostKey ${path.join(sshDir, names[t] as string)}`),
      `PidFile ${pidFile}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'AuthorizedKeysFile none',
      'PermitRootLogin prohibit-password',
      'LogLevel VERBOSE',
      'Subsystem sftp internal-sftp',
      'Match User nobody',
      '    X11Forwarding no',
      '',
    ].join('\n'),
  );
  return { root, sshDir, sshdConfig, pidFile };
};
