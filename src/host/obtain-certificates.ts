// Asks the signer for host certificates for every host key in one request, and checks
// what comes back before anything is written: a real CA signature from a listed host CA
// key, a host certificate, for exactly the key we sent, valid now.
import type { HostCertResponse, CaKeysResponse } from '../api/response.js';
import { callSigner, type InvokeOptions } from '../aws/invoke-signer.js';
import { LkpError } from '../errors.js';
import { parseCertificate, verifyCertificate, type ParsedCertificate } from '../ssh/parse-certificate.js';
import { parsePublicKey, sameKey, type PublicKey } from '../ssh/public-key.js';
import type { HostKey } from './host-keys.js';
import { hostIdentity, type HostIdentitySource } from './signer-identity.js';

export interface ObtainedCertificates {
  readonly response: HostCertResponse;
  /** Same order as the host keys. */
  readonly certificates: ReadonlyArray<{ readonly hostKey: HostKey; readonly line: string; readonly parsed: ParsedCertificate }>;
  readonly userCaKeys: readonly PublicKey[];
  readonly hostCaKeys: readonly PublicKey[];
}

const parseKeyList = (lines: unknown, what: string): PublicKey[] => {
  if (!Array.isArray(lines) || lines.length === 0) throw new LkpError('SignerError', `signer answered no ${what}`);
  return lines.map((l) => {
    try {
      return parsePublicKey(String(l));
    } catch {
      throw new LkpError('SignerError', `signer answered an invalid ${what} entry`);
    }
  });
};

export interface PublishedCaKeys {
  /** The audience `aws` identity proofs must name. */
  readonly serverId: string;
  readonly userCaKeys: readonly PublicKey[];
  readonly hostCaKeys: readonly PublicKey[];
  /** The signer's clock minus ours, in milliseconds (0 when the signer did not say). */
  readonly clockOffsetMs: number;
}

/** serverTime - local now; 0 for a signer that sends no (or no valid) time. */
export const clockOffset = (serverTime: unknown, localNowMs: number): number => {
  const at = typeof serverTime === 'string' ? Date.parse(serverTime) : NaN;
  return Number.isFinite(at) ? at - localNowMs : 0;
};

/** The signer's `ca-keys` answer, parsed: it issues nothing and spends nothing (a dry run may call it). */
export const fetchPublishedCaKeys = async (signer: InvokeOptions, now: () => Date = () => new Date()): Promise<PublishedCaKeys> => {
  const published = await callSigner<CaKeysResponse>({ version: 1, action: 'ca-keys' }, signer);
  return {
    serverId: published.serverId,
    userCaKeys: parseKeyList(published.userCaKeys, 'user CA keys'),
    hostCaKeys: Array.isArray(published.hostCaKeys) && published.hostCaKeys.length > 0 ? parseKeyList(published.hostCaKeys, 'host CA keys') : [],
    clockOffsetMs: clockOffset(published.serverTime, now().getTime()),
  };
};

/** Requests and verifies host certificates. */
export const obtainHostCertificates = async (opts: {
  hostKeys: readonly HostKey[];
  identity: HostIdentitySource;
  signer: InvokeOptions;
  validitySeconds?: number;
  now: () => Date;
  /** Checks the signer's user CA keys before anything is spent (a join token is single-use). */
  checkUserCaKeys?: (keys: readonly PublicKey[]) => void;
  /** Told when this clock differs from the signer's by more than a minute. */
  notice?: (line: string) => void;
}): Promise<ObtainedCertificates> => {
  const keys = opts.hostKeys.map((k) => k.key);
  // ca-keys first: the audience for the proof, the user CA to vet before asking, and the
  // signer's clock: a fresh instance's clock is often off, and the proof is dated by it.
  const published = await fetchPublishedCaKeys(opts.signer, opts.now);
  const offset = published.clockOffsetMs;
  const signerNow = (): Date => new Date(opts.now().getTime() + offset);
  if (Math.abs(offset) > 60_000) opts.notice?.(`this clock is ${Math.round(Math.abs(offset) / 1000)} s ${offset > 0 ? 'behind' : 'ahead of'} the signer's; dating the request by the signer's clock`);
  const publishedUserCas = published.userCaKeys;
  opts.checkUserCaKeys?.(publishedUserCas);
  const identity = await hostIdentity(opts.identity, keys, async () => published.serverId, signerNow());
  const response = await callSigner<HostCertResponse>(
    { version: 1, action: 'host-cert', identity, publicKeys: opts.hostKeys.map((k) => k.line), ...(opts.validitySeconds ? { validitySeconds: opts.validitySeconds } : {}) },
    opts.signer,
  );
  const hostCaKeys = parseKeyList(response.hostCaKeys, 'host CA keys');
  const userCaKeys = parseKeyList(response.userCaKeys, 'user CA keys');
  const same = (a: readonly PublicKey[], b: readonly PublicKey[]): boolean => a.length === b.length && a.every((k, i) => sameKey(k, b[i] as PublicKey));
  if (!same(userCaKeys, publishedUserCas)) throw new LkpError('SignerError', 'the signer answered other user CA keys than it published a moment ago; nothing was changed');
  if (!Array.isArray(response.certificates) || response.certificates.length !== opts.hostKeys.length) {
    throw new LkpError('SignerError', `signer answered ${Array.isArray(response.certificates) ? response.certificates.length : 'no'} certificates for ${opts.hostKeys.length} host keys`);
  }
  const certificates = opts.hostKeys.map((hostKey, i) => {
    const line = String(response.certificates[i]?.certificate ?? '');
    try {
      // Valid by the signer's clock: ours may be off until NTP has caught up.
      const parsed = verifyCertificate(parseCertificate(line), { trustedCaKeys: hostCaKeys, certType: 'host', subjectKey: hostKey.key, now: BigInt(Math.floor(signerNow().getTime() / 1000)) });
      if (parsed.principals.length === 0) throw new LkpError('KeyInvalid', 'certificate has no principals');
      return { hostKey, line: line.split(/\s+/).slice(0, 2).join(' '), parsed };
    } catch (error) {
      throw new LkpError('SignerError', `signer returned an unusable certificate for ${hostKey.privatePath}.pub: ${(error as Error).message}`);
    }
  });
  if (typeof response.hostId !== 'string' || !response.hostId) throw new LkpError('SignerError', 'signer answered no hostId');
  return { response, certificates, userCaKeys, hostCaKeys };
};
