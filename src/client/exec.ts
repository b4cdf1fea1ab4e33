// `lkp ssh exec`: a certificate for exactly (instance, login) — from the cache when it
// still has a safety margin, else from the signer with an `aws` identity proof — the
// address from EC2, host verification by certificate, then ssh with the user's arguments.
// The cache-hit half lives in exec-core.ts; this module adds the miss, the transports'
// routes (--via eice / ssm) and the KRL refresh.
import type { AwsCredentialIdentity } from '@smithy/types';
import { requestDigest } from '../api/digest.js';
import type { CaKeysResponse } from '../api/response.js';
import { callSigner, preloadLambdaClient } from '../aws/invoke-signer.js';
import { LkpError } from '../errors.js';
import { formatPublicKey } from '../ssh/public-key.js';
import os from 'node:os';
import type { SignerProfile } from './config.js';
import { lkpHome } from './home.js';
import { ensureKeyPair } from './keypair.js';
import { prepareSshWith, resolveHop, type AddressMode, type ExecOptions, type FetchHop, type MissPath, type PreparedSsh } from './exec-core.js';
import type { FetchedKrl } from '../krl/fetch-krl.js';
import { refreshRevokedHostKeys } from './revoked-host-keys.js';
import { requestUserCertificate } from './request-user-cert.js';
import { withSignerFallbacks } from './signer-chain.js';

export * from './exec-core.js';

const describeAddress = async (instanceId: string, region: string, credentials: AwsCredentialIdentity, mode: AddressMode): Promise<string> => {
  const { describeInstance } = await import('../aws/ec2-describe-instance.js');
  const facts = await describeInstance({ instanceId, region, credentials });
  if (!facts) throw new LkpError('InstanceNotUsable', `instance ${instanceId} does not exist in ${region} (or these credentials cannot see it)`);
  if (facts.state !== 'running') throw new LkpError('InstanceNotUsable', `instance ${instanceId} is ${facts.state}; start it first (aws ec2 start-instances --instance-ids ${instanceId})`);
  const address = mode === 'private' ? facts.privateIp : mode === 'public' ? facts.publicIp : (facts.publicIp ?? facts.privateIp);
  if (!address) throw new LkpError('InstanceNotUsable', `instance ${instanceId} has no ${mode === 'private' ? 'private' : 'public'} IPv4 address${mode === 'private' ? '; try --public' : ''}`);
  return address;
};

/**
 * Starts loading what a certificate request needs (client-lambda, the proof's signer, and
 * client-ec2 when the address is not given) without waiting: they compile while the key
 * pair, the cache and the credentials are read, and while the first call is on the wire.
 */
const preloadMissPath = (describe: boolean): void => {
  preloadLambdaClient();
  void import('../aws/identity-proof.js').catch(() => undefined);
  if (describe) void import('../aws/ec2-describe-instance.js').then((m) => m.preloadEc2Client(), () => undefined);
};

/** A miss: the certificate from the signer (with an `aws` proof) and the address from EC2, together. */
const fetchFromSigner =
  (credentials: () => Promise<AwsCredentialIdentity>): FetchHop =>
  async (hop, { target, region, principal }, ctx) => {
    preloadMissPath(hop.address === undefined);
    const [{ createAwsProof }, creds] = await Promise.all([import('../aws/identity-proof.js'), credentials()]);
    // The address and the certificate are fetched together (one round trip of waiting); the
    // signer checks the instance too, so a stopped one is refused there as well. EC2's word
    // (stopped, unknown) is the clearer error, so it wins when both fail.
    const [addressResult, certResult] = await Promise.allSettled([
      hop.address !== undefined ? Promise.resolve(hop.address) : describeAddress(target.instanceId, region, creds, hop.addressMode),
      withSignerFallbacks(ctx.signers, async (s) => {
        const signer = { functionName: s.functionName, region: s.region ?? region, credentials: creds };
        const keys = await callSigner<CaKeysResponse>({ version: 1, action: 'ca-keys' }, signer);
        const proof = await createAwsProof({
          credentials: creds,
          region: s.region ?? region,
          audience: keys.serverId,
          digest: requestDigest({ action: 'user-cert', publicKeys: [ctx.keyPair.key], login: hop.login, target: hop.target }),
        });
        return requestUserCertificate({ identity: { method: 'aws', proof }, keyPair: ctx.keyPair, login: hop.login, target: hop.target, expectedPrincipal: principal, signer, nowSeconds: ctx.now() });
      }),
    ]);
    if (addressResult.status === 'rejected') throw addressResult.reason;
    if (certResult.status === 'rejected') throw certResult.reason;
    const cert = certResult.value.value;
    return { certificate: cert.line, principal, address: addressResult.value, hostCaKeys: cert.hostCaKeys.map((k) => formatPublicKey(k)), validBefore: Number(cert.parsed.validBefore) };
  };

/** --via eice | ssm: where ssh dials and the ProxyCommand (the route modules load only here). */
const routeThrough =
  (opts: ExecOptions, primary: SignerProfile, credentials: () => Promise<AwsCredentialIdentity>, now: () => number): MissPath['routeHop'] =>
  async (via, _hop, { target, region }) => {
    const { checkRegion, proxyCommandFor, resolveEiceRoute } = await import('./tunnel/route.js');
    const profile = primary.profile;
    if (via === 'ssm') {
      const { checkSsmTools, ssmEnv } = await import('./tunnel/ssm.js');
      checkSsmTools(process.env, primary.ssmDocument);
      const route = { via: 'ssm', region: checkRegion(region, 'region'), ...(profile ? { profile } : {}), ...(primary.ssmDocument ? { document: primary.ssmDocument } : {}) } as const;
      // ssh dials the instance id (%h), which the documented ProxyCommand hands to Session Manager.
      return { address: target.instanceId, proxyCommand: proxyCommandFor(route, [], target.instanceId), route, env: ssmEnv(region, profile) };
    }
    const eice = await resolveEiceRoute({ instanceId: target.instanceId, region, credentials, ...(opts.eiceId ? { endpointId: opts.eiceId } : {}), ...(profile ? { profile } : {}), maxTunnelSeconds: opts.maxTunnelSeconds ?? 3600, home: opts.home ?? lkpHome(), now: now() });
    if (!opts.lkpCommand) throw new LkpError('Internal', 'the eice transport needs the command that runs lkp');
    return { address: eice.privateIp, proxyCommand: proxyCommandFor(eice, opts.lkpCommand, target.instanceId), route: eice };
  };

/** Everything up to starting ssh: returns the ssh argv (a miss asks the signer). */
export const prepareSsh = async (opts: ExecOptions, now: () => number = () => Math.floor(Date.now() / 1000)): Promise<PreparedSsh> => {
  // --refresh is a miss whatever the cache holds: start loading its clients at once.
  if (opts.refresh) preloadMissPath(opts.address === undefined || (opts.jumps ?? []).length > 0);
  const primary = opts.signers[0] as SignerProfile;
  let memo: Promise<AwsCredentialIdentity> | undefined;
  const credentials = () => (memo ??= import('./credentials.js').then((m) => m.personCredentials(primary.profile)));
  const fetchFrom = (region: string): Promise<FetchedKrl> =>
    Promise.all([import('../krl/fetch-krl.js'), credentials()]).then(async ([{ fetchKrl }, creds]) => (await withSignerFallbacks(opts.signers, (s) => fetchKrl({ functionName: s.functionName, region: s.region ?? region, credentials: creds }))).value);
  // A miss refreshes the KRL too: its request goes out with the first certificate request
  // instead of after the last; it is installed (or its failure reported) where it was before.
  let krlOnMiss: { region: string; fetched: Promise<FetchedKrl> } | undefined;
  const fetchCert = fetchFromSigner(credentials);
  return prepareSshWith(opts, now, {
    fetchHop: (hop, resolved, ctx) => {
      if (!krlOnMiss) {
        // The region prepareSshWith passes to refreshKrl.
        const region = opts.region ?? primary.region ?? resolveHop({ target: opts.instanceArn, login: opts.login, addressMode: 'private' }, ctx).region;
        krlOnMiss = { region, fetched: fetchFrom(region) };
        krlOnMiss.fetched.catch(() => undefined); // reported by refreshRevokedHostKeys, or not needed
      }
      return fetchCert(hop, resolved, ctx);
    },
    missingKey: (identityPath) => ensureKeyPair(identityPath, `lkp ${os.userInfo().username}`),
    routeHop: routeThrough(opts, primary, credentials, now),
    refreshKrl: (file, region) =>
      refreshRevokedHostKeys(file, () => (krlOnMiss?.region === region ? krlOnMiss.fetched : fetchFrom(region)), (line) => void process.stderr.write(`${line}\n`), new Date(), {
        ...(opts.krlMaxAgeMs !== undefined ? { maxAgeMs: opts.krlMaxAgeMs } : {}),
        allowStale: opts.allowStaleKrl === true,
      }),
  });
};
