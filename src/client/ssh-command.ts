// The ssh command line lkp runs (pure): our key and certificate only, host verified by
// certificate under the instance id, then the user's arguments exactly as given.
import { krlConfigPath } from './revoked-host-keys-path.js';
import { configPath } from './ssh-config.js';

export interface SshCommandInput {
  readonly sshPath: string;
  readonly identity: string;
  readonly certificate: string;
  readonly knownHosts: string;
  /** The signer's KRL: ssh refuses a host whose certificate or key it revokes. */
  readonly revokedHostKeys?: string;
  readonly hostKeyAlias: string;
  readonly login: string;
  readonly address: string;
  readonly port?: number;
  /** Everything after `--`: reaches ssh untouched. */
  readonly args: readonly string[];
  /** ProxyJump spec (an ssh config written for jump hosts). */
  readonly configFile?: string;
  /** A transport's ProxyCommand (--via eice / ssm), already %-escaped and shell-quoted. */
  readonly proxyCommand?: string;
}

/**
 * argv for ssh (no shell involved anywhere). The destination goes before the user's
 * arguments with no `--`: after one ssh reads no more options, and the user's arguments may
 * be ssh options (-v, -L). So callers pass only a plain address (exec-core.ts checks it),
 * which never begins with '-'.
 */
export const buildSshArgs = (i: SshCommandInput): string[] => [
  ...(i.configFile ? ['-F', i.configFile] : []),
  '-i', i.identity,
  // -o values are parsed like ssh_config lines: quoted, so a path with a space stays whole.
  '-o', `CertificateFile=${configPath(i.certificate)}`,
  '-o', 'IdentitiesOnly=yes',
  '-o', `UserKnownHostsFile=${configPath(i.knownHosts)}`,
  ...(i.revokedHostKeys ? ['-o', `RevokedHostKeys=${krlConfigPath(i.revokedHostKeys)}`] : []),
  '-o', 'GlobalKnownHostsFile=/dev/null',
  '-o', 'StrictHostKeyChecking=yes',
  '-o', 'UpdateHostKeys=no',
  '-o', `HostKeyAlias=${i.hostKeyAlias}`,
  ...(i.proxyCommand ? ['-o', `ProxyCommand=${i.proxyCommand}`] : []),
  ...(i.port ? ['-p', String(i.port)] : []),
  '-l', i.login,
  i.address,
  ...i.args,
];

/** A shell-quoted rendering, for --dry-run (never executed through a shell). */
export const formatCommandLine = (argv: readonly string[]): string =>
  argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
