// An lkp-owned known_hosts per signer: `@cert-authority *` lines for the signer's host CA
// keys. ssh runs with StrictHostKeyChecking=yes and HostKeyAlias=<instance id>, so a host
// is accepted only when it presents a certificate from that CA naming that very instance.
import path from 'node:path';
import { readOptionalSync } from '../fs/read-optional.js';
import { writeAtomic } from '../fs/write-atomic.js';

/** The known_hosts text for these host CA keys. */
export const renderKnownHosts = (hostCaKeys: readonly string[]): string =>
  `# written by lkp: host CA keys of this signer; hosts are checked by certificate, never trust-on-first-use\n${hostCaKeys.map((k) => `@cert-authority * ${k}`).join('\n')}\n`;

/** Where the known_hosts file for a signer lives. */
export const knownHostsPath = (dir: string, signer: string): string => path.join(dir, `known_hosts.${signer.replace(/[^A-Za-z0-9._-]/g, '_')}`);

/** Writes the file when its content differs; returns its path. */
export const ensureKnownHosts = async (dir: string, signer: string, hostCaKeys: readonly string[]): Promise<string> => {
  const file = knownHostsPath(dir, signer);
  const text = renderKnownHosts(hostCaKeys);
  const current = readOptionalSync(file, 'utf8') ?? ''; // sync: see readOptionalSync
  if (current !== text) await writeAtomic(file, text, 0o644);
  return file;
};
