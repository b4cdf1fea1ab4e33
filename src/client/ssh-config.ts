// Transparent ssh: an ssh_config block so that plain `ssh LOGIN@i-…` (and scp, rsync, git)
// gets or reuses the certificate and the address through lkp. Two paths:
// - a valid cached certificate: `lkp ssh prepare` left a per-instance file
//   (~/.lkp/hosts/ID/LOGIN.conf, renderHostConfig) that the block Includes first; it sets
//   HostName, HostKeyAlias and the certificate, guarded by a shell test of the expiry, so
//   ssh connects with no lkp process at all (with --via eice, only the tunnel's). Once
//   HostName is set, the block's `Match host i-*` no longer matches (it compares the
//   HostName), so prepare never runs.
// - otherwise (first connection, expiring certificate, a stale KRL copy): `Match exec` runs
//   `lkp ssh prepare`, which writes that file, and the Include inside the block picks it
//   up; when it cannot be written (an address that is not a plain name, a home ssh cannot
//   Include, --via ssm) the ProxyCommand dials the address EC2 gave, or goes through the
//   transport prepare recorded (--via eice / ssm, docs/transports.md).
// Installing it is idempotent: one marked block at the top of ~/.ssh/config, replaced in
// place on the next run, never duplicated.
import path from 'node:path';
import { INSTANCE_ID_RE } from '../api/target.js';
import { LkpError } from '../errors.js';
import { krlConfigPath } from './revoked-host-keys-path.js';

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

/**
 * How ssh checks the host: lkp's known_hosts (@cert-authority lines) only, never trust on
 * first use, and the signer's KRL (revoked host certificates and keys are refused).
 */
const hostCheckLines = (knownHosts: string, revokedHostKeys: string | undefined): string[] => [
  `    UserKnownHostsFile ${configPath(knownHosts)}`,
  ...(revokedHostKeys !== undefined ? [`    RevokedHostKeys ${krlConfigPath(revokedHostKeys)}`] : []),
  '    GlobalKnownHostsFile /dev/null',
  '    StrictHostKeyChecking yes',
  '    UpdateHostKeys no',
];

/**
 * The Include of the per-instance files, or undefined when ssh could misread the path:
 * Include expands glob characters (and, in newer OpenSSH, % tokens and ${VAR}).
 */
export const hostConfigInclude = (home: string): string | undefined => {
  if (/[*?[\]\\%$"'\x00-\x1f\x7f]/.test(home)) return undefined;
  return `Include "${path.join(home, 'hosts')}/*/*.conf"`;
};

/** The catch-all's ProxyCommand: says why and fails (no %-token, no name: nothing from the command line). */
const FAIL_CLOSED = `/bin/sh -c 'echo "lkp: lkp ssh prepare did not set up this instance, so ssh does not connect (run: lkp ssh prepare --host INSTANCE-ID --user LOGIN)" >&2; exit 1'`;

/** The block text (lines joined with \n, ending with a newline). */
export const renderSshConfig = (i: SshConfigInput): string => {
  const cmd = literal(i.lkp.map(q).join(' '));
  if (/["\r\n]/.test(cmd)) throw new LkpError('UsageError', 'the lkp command path cannot hold a double quote or a line break in an ssh config');
  const signer = `${i.signer ? ` --signer ${q(i.signer)}` : ''}${i.via ? ` --via ${i.via}` : ''}`;
  const include = hostConfigInclude(i.home);
  return [
    BEGIN,
    // A valid cached certificate: connect with no lkp process (see renderHostConfig).
    ...(include ? [include] : []),
    `Match host "${withoutMeta('i-*')},mi-*" user "${withoutMeta('*')}" exec "${cmd} ssh prepare --host '%h' --user '%r'${signer}"`,
    // What prepare just wrote: the address as HostName, so no ProxyCommand process either.
    ...(include ? [`    ${include}`] : []),
    `    IdentityFile ${configPath(path.join(i.home, 'id_ed25519'))}`,
    '    IdentitiesOnly yes',
    `    CertificateFile ${configPath(path.join(i.home, 'hosts')).slice(0, -1)}/%h/%r-cert.pub"`,
    ...hostCheckLines(i.knownHosts, i.revokedHostKeys),
    // No HostKeyAlias (it takes no %h): behind a ProxyCommand ssh checks the host key
    // under the name typed, the instance id, which the host certificate must list.
    `    ProxyCommand ${cmd} ssh proxy --host %h --port %p`,
    // When neither applied (prepare failed, or a name the block skips): no fallback to plain
    // ssh (DNS, trust on first use, default keys). ssh keeps the first value it reads, so
    // this changes nothing for a connection the lines above already set up.
    `Match originalhost "i-*,mi-*"`,
    ...hostCheckLines(i.knownHosts, i.revokedHostKeys),
    `    ProxyCommand ${FAIL_CLOSED}`,
    END,
    '',
  ].join('\n');
};

export interface HostConfigInput {
  readonly instanceId: string;
  readonly login: string;
  /** Where ssh connects: an IP address or a DNS name (checked here). */
  readonly address: string;
  readonly identity: string;
  readonly certificate: string;
  readonly knownHosts: string;
  /** The signer's KRL copy (ssh's RevokedHostKeys). */
  readonly revokedHostKeys: string;
  /** Unix seconds: the file applies until then (the certificate's safety margin, the KRL copy's age). */
  readonly until: number;
  /** How to reach the address: `none` (a direct TCP connection) unless a transport needs a command. */
  readonly proxyCommand?: string;
}

const LOGIN = /^[a-z_][a-z0-9_.-]{0,31}$/i;
const ADDRESS = /^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9a-f:]+|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)$/i;

/** Whether an address can be written as a HostName (nothing ssh or a shell would read twice). */
export const isPlainAddress = (address: string): boolean => ADDRESS.test(address);

/**
 * The per-instance file (~/.lkp/hosts/ID/LOGIN.conf) the block Includes: for exactly this
 * instance id and login, while the guard says the certificate is good, connect to the
 * address directly, present this certificate, and check the host's certificate under the
 * instance id (HostKeyAlias) against lkp's known_hosts.
 */
export const renderHostConfig = (h: HostConfigInput): string => {
  if (!INSTANCE_ID_RE.test(h.instanceId)) throw new LkpError('UsageError', `${JSON.stringify(h.instanceId)} is not an instance id`);
  if (!LOGIN.test(h.login)) throw new LkpError('UsageError', `${JSON.stringify(h.login)} cannot be written into an ssh config`);
  if (!isPlainAddress(h.address)) throw new LkpError('UsageError', `${JSON.stringify(h.address)} is not an address ssh can be given as HostName`);
  if (!Number.isSafeInteger(h.until)) throw new LkpError('UsageError', 'the expiry must be a whole number of seconds');
  return [
    '# written by lkp ssh prepare: removed by lkp ssh logout; ignored once the certificate expires',
    // The expiry test inline (one fork of `date`): no executable in the home for ssh to run.
    `Match originalhost ${h.instanceId} user ${h.login} exec "test $(date +%%s) -lt ${h.until}"`,
    `    HostName ${h.address}`,
    `    HostKeyAlias ${h.instanceId}`,
    `    IdentityFile ${configPath(h.identity)}`,
    '    IdentitiesOnly yes',
    `    CertificateFile ${configPath(h.certificate)}`,
    ...hostCheckLines(h.knownHosts, h.revokedHostKeys),
    `    ProxyCommand ${h.proxyCommand ?? 'none'}`,
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
