// The files `lkp host` writes, as data (pure): certificates, the user CA keys for
// TrustedUserCAKeys, one principals file per login with LOGIN@HOSTID, and a state file
// for status and renewal. Plus the sshd settings that point at them.
import path from 'node:path';
import { userPrincipal } from '../api/principal-scheme.js';
import { formatPublicKey, type PublicKey } from '../ssh/public-key.js';
import { parsePrincipal, type Login } from '../ssh/names.js';
import type { LkpSshdSettings } from '../sshd/settings.js';
import type { HostLayout } from './layout.js';
import type { ObtainedCertificates } from './obtain-certificates.js';

export interface HostFile {
  readonly path: string;
  /** Text, or bytes (the KRL). */
  readonly content: string | Buffer;
  readonly mode: number;
}

export interface HostState {
  readonly version: 1;
  readonly hostId: string;
  readonly identity: 'aws' | 'join-token';
  readonly functionName: string;
  readonly logins: readonly string[];
  readonly updatedAt: string;
  readonly certificates: ReadonlyArray<{
    readonly hostKey: string;
    readonly certificate: string;
    readonly keyFingerprint: string;
    readonly serial: string;
    readonly principals: readonly string[];
    readonly validAfter: string;
    readonly validBefore: string;
  }>;
}

export interface HostFilesPlan {
  readonly files: readonly HostFile[];
  /** Principals files of logins no longer configured: removed ("no file, no login"). */
  readonly stale: readonly string[];
  readonly settings: LkpSshdSettings;
  readonly state: HostState;
}

const keysFile = (keys: readonly PublicKey[], what: string): string =>
  `# ${what}, written by lkp; every key the signer lists is trusted so a CA rotation never locks anyone out.\n${keys.map((k) => formatPublicKey(k)).join('\n')}\n`;

/** The sshd settings pointing at lkp's files, for these host keys (private key paths, in order). */
export const hostSshdSettings = (layout: HostLayout, hostKeyPaths: readonly string[]): LkpSshdSettings => ({
  hostCertificates: hostKeyPaths.map((p) => layout.certFor(p)),
  trustedUserCaKeys: layout.trustedUserCaKeys,
  authorizedPrincipalsFile: path.join(layout.principalsDir, '%u'),
  revokedKeys: layout.revokedKeys,
});

/** Principals files of logins no longer configured ("no file, no login"). */
export const stalePrincipalFiles = (layout: HostLayout, logins: readonly Login[], existing: readonly string[]): string[] => {
  const wanted = new Set(logins.map((l) => path.join(layout.principalsDir, l)));
  return existing.filter((f) => !wanted.has(f));
};

/** Plans every lkp-owned file for this host. */
export const planHostFiles = (opts: {
  layout: HostLayout;
  obtained: ObtainedCertificates;
  logins: readonly Login[];
  existingPrincipalFiles: readonly string[];
  identity: 'aws' | 'join-token';
  functionName: string;
  now: Date;
}): HostFilesPlan => {
  const { layout, obtained } = opts;
  const hostId = parsePrincipal(obtained.response.hostId);
  const files: HostFile[] = [
    ...obtained.certificates.map((c) => ({ path: layout.certFor(c.hostKey.privatePath), content: `${c.line}\n`, mode: 0o644 })),
    { path: layout.trustedUserCaKeys, content: keysFile(obtained.userCaKeys, 'User CA keys for TrustedUserCAKeys'), mode: 0o644 },
    { path: layout.hostCaKeys, content: keysFile(obtained.hostCaKeys, 'Host CA keys (for clients\' @cert-authority lines)'), mode: 0o644 },
    ...opts.logins.map((login) => ({
      path: path.join(layout.principalsDir, login),
      content: `${userPrincipal(login, hostId)}\n`,
      mode: 0o644,
    })),
  ];
  const state: HostState = {
    version: 1,
    hostId,
    identity: opts.identity,
    functionName: opts.functionName,
    logins: [...opts.logins],
    updatedAt: opts.now.toISOString(),
    certificates: obtained.certificates.map((c) => ({
      hostKey: c.hostKey.privatePath,
      certificate: layout.certFor(c.hostKey.privatePath),
      keyFingerprint: obtained.response.certificates.find((x) => x.certificate.startsWith(c.line))?.keyFingerprint ?? '',
      serial: c.parsed.serial.toString(),
      principals: c.parsed.principals,
      validAfter: new Date(Number(c.parsed.validAfter) * 1000).toISOString(),
      validBefore: new Date(Number(c.parsed.validBefore) * 1000).toISOString(),
    })),
  };
  return {
    files: [...files, { path: layout.state, content: `${JSON.stringify(state, null, 2)}\n`, mode: 0o644 }],
    stale: stalePrincipalFiles(layout, opts.logins, opts.existingPrincipalFiles),
    settings: hostSshdSettings(layout, obtained.certificates.map((c) => c.hostKey.privatePath)),
    state,
  };
};
