// Transparent ssh: an ssh_config block so that plain `ssh LOGIN@i-…` (and scp, rsync, git)
// gets or reuses the certificate and the address through lkp. `Match exec` runs
// `lkp ssh prepare` before ssh connects; a ProxyCommand then dials the address EC2 gave (or
// goes through the transport prepare recorded: --via eice / ssm, docs/transports.md).
// Installing it is idempotent: one marked block at the top of ~/.ssh/config, replaced in
// place on the next run, never duplicated.
import path from 'node:path';
import { LkpError } from '../errors.js';
import { krlConfigPath } from './revoked-host-keys.js';

export const BEGIN = '# BEGIN lkp ssh config -- managed by `lkp ssh config --install`; do not edit';
export const END = '# END lkp ssh config';

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** ssh expands %-tokens in these commands and paths: a literal % must be doubled. */
const literal = (s: string): string => s.replace(/%/g, '%%');

/**
 * A path as one ssh_config argument: double-quoted (spaces), % doubled. ssh_config has no
 * escape for a double quote or a line break, so such a path cannot be written at all.
 */
export const configPath = (p: string): string => {
  if (/["\r\n]/.test(p)) throw new LkpError('UsageError', `${JSON.stringify(p)} cannot be written into an ssh config (it holds a double quote or a line break)`);
  return `"${literal(p)}"`;
};

export interface SshConfigInput {
  /** The command that runs lkp: e.g. ['/usr/local/bin/lkp'] (each word is shell-quoted). */
  readonly lkp: readonly string[];
  readonly home: string;
  readonly signer?: string;
  /** --via given to `lkp ssh config`: passed to prepare (else prepare uses the signer's default). */
  readonly via?: 'direct' | 'eice' | 'ssm';
  readonly knownHosts: string;
  /** The signer's KRL (`lkp ssh prepare` keeps it there): revoked host certificates are refused. */
  readonly revokedHostKeys?: string;
}

// Match exec runs through a shell after ssh expanded %h and %r. OpenSSH 9.6 refuses shell
// metacharacters in those names; older versions do not (CVE-2023-51385), so the block only
// matches names without them, and quotes the tokens besides.
// Inside single quotes only ' itself is special; the others guard a mistaken edit.
const SHELL_META = ['$', '`', ';', '|', '&', '(', ')', '<', '>', "'"];
const withoutMeta = (first: string): string => [first, ...SHELL_META.map((m) => `!*${m}*`)].join(',');

/** The block text (lines joined with \n, ending with a newline). */
export const renderSshConfig = (i: SshConfigInput): string => {
  const cmd = literal(i.lkp.map(q).join(' '));
  if (/["\r\n]/.test(cmd)) throw new LkpError('UsageError', 'the lkp command path cannot hold a double quote or a line break in an ssh config');
  const signer = `${i.signer ? ` --signer ${q(i.signer)}` : ''}${i.via ? ` --via ${i.via}` : ''}`;
  return [
    BEGIN,
    `Match host "${withoutMeta('i-*')},mi-*" user "${withoutMeta('*')}" exec "${cmd} ssh prepare --host '%h' --user '%r'${signer}"`,
    `    IdentityFile ${configPath(path.join(i.home, 'id_ed25519'))}`,
    '    IdentitiesOnly yes',
    `    CertificateFile ${configPath(path.join(i.home, 'hosts')).slice(0, -1)}/%h/%r-cert.pub"`,
    `    UserKnownHostsFile ${configPath(i.knownHosts)}`,
    ...(i.revokedHostKeys ? [`    RevokedHostKeys ${krlConfigPath(i.revokedHostKeys)}`] : []),
    '    GlobalKnownHostsFile /dev/null',
    '    StrictHostKeyChecking yes',
    '    UpdateHostKeys no',
    // No HostKeyAlias (it takes no %h): behind a ProxyCommand ssh checks the host key
    // under the name typed, the instance id, which the host certificate must list.
    `    ProxyCommand ${cmd} ssh proxy --host %h --port %p`,
    END,
    '',
  ].join('\n');
};

/** Puts the block at the top of an ssh config (replacing an earlier one in place). */
export const installSshConfig = (current: string, block: string): string => {
  const start = current.indexOf(BEGIN);
  if (start >= 0) {
    const endAt = current.indexOf(END, start);
    if (endAt >= 0) {
      let after = endAt + END.length;
      if (current[after] === '\n') after += 1;
      return `${current.slice(0, start)}${block}${current.slice(after)}`;
    }
  }
  // At the top: ssh uses the first value it finds, and a Match block there only applies to i-* hosts.
  return current.length === 0 ? block : `${block}\n${current}`;
};
