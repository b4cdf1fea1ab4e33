// What lkp asks sshd to use, and the strict rules every value must pass before it is
// written into an sshd file (security invariant 6: nothing unvalidated reaches sshd).
import { LkpError } from '../errors.js';

/** The things lkp configures in sshd. */
export interface LkpSshdSettings {
  /** File of CA public keys trusted for user certificates (`TrustedUserCAKeys`). */
  readonly trustedUserCaKeys: string;
  /** Per-user principals file, normally with `%u` (`AuthorizedPrincipalsFile`). */
  readonly authorizedPrincipalsFile: string;
  /** One or more host certificates (`HostCertificate`, one line each, in this order). */
  readonly hostCertificates: readonly string[];
  /** The KRL of revoked keys and certificates (`RevokedKeys`); sshd refuses every key login when it is unreadable. */
  readonly revokedKeys?: string;
}

// Absolute, normalised, and made only of characters that need no quoting in sshd_config:
// no whitespace, quotes, backslashes, '#', '=', ',', control characters or glob wildcards.
const SAFE_PATH = /^(?:\/[A-Za-z0-9._+@:%-]+)+$/;
// sshd expands %% %h %U %u in TrustedUserCAKeys and AuthorizedPrincipalsFile.
const TOKENS = /%(?:[^%hUu]|$)/;

/** Check one path for an sshd directive; `tokens` allows sshd's %u-style expansion. */
export const validateSshdPath = (label: string, path: unknown, tokens: boolean): string => {
  if (typeof path !== 'string' || path === '') {
    throw new LkpError('UsageError', `${label}: a path is required`);
  }
  if (!SAFE_PATH.test(path)) {
    throw new LkpError(
      'UsageError',
      `${label}: ${JSON.stringify(path)} must be an absolute path of letters, digits and . _ + @ : % - only`,
    );
  }
  if (path.split('/').some((part) => part === '.' || part === '..')) {
    throw new LkpError('UsageError', `${label}: ${JSON.stringify(path)} must not contain . or .. segments`);
  }
  const withoutEscapes = path.replace(/%%/g, '');
  if (!tokens && path.includes('%')) {
    throw new LkpError('UsageError', `${label}: ${JSON.stringify(path)} must not contain %`);
  }
  if (tokens && TOKENS.test(withoutEscapes)) {
    throw new LkpError('UsageError', `${label}: ${JSON.stringify(path)} uses a % token other than %u %U %h %%`);
  }
  return path;
};

/** Validate settings from the caller and return a frozen copy; throws UsageError. */
export const validateLkpSshdSettings = (settings: LkpSshdSettings): LkpSshdSettings => {
  const certs = settings.hostCertificates;
  if (!Array.isArray(certs) || certs.length === 0) {
    throw new LkpError('UsageError', 'hostCertificates: at least one host certificate path is required');
  }
  const hostCertificates = certs.map((path: unknown, i) => validateSshdPath(`hostCertificates[${i}]`, path, false));
  if (new Set(hostCertificates).size !== hostCertificates.length) {
    throw new LkpError('UsageError', 'hostCertificates: the same path is listed twice');
  }
  return Object.freeze({
    trustedUserCaKeys: validateSshdPath('trustedUserCaKeys', settings.trustedUserCaKeys, true),
    authorizedPrincipalsFile: validateSshdPath('authorizedPrincipalsFile', settings.authorizedPrincipalsFile, true),
    hostCertificates: Object.freeze(hostCertificates),
    // sshd expands no % token in RevokedKeys.
    ...(settings.revokedKeys === undefined ? {} : { revokedKeys: validateSshdPath('revokedKeys', settings.revokedKeys, false) }),
  });
};
