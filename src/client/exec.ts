// `lkp ssh exec`: a certificate for exactly (instance, login) — from the cache when it
// still has a safety margin, else from the signer with an `aws` identity proof — the
// address from EC2, host verification by certificate, then ssh with the user's arguments.
import os from 'node:os';
import path from 'node:path';
import type { AwsCredentialIdentity } from '@smithy/types';
import { requestDigest } from '../api/digest.js';
import { userPrincipal } from '../api/principal-scheme.js';
import type { CaKeysResponse } from '../api/response.js';
import { parseTarget } from '../api/target.js';
import { callSigner } from '../aws/invoke-signer.js';
import { LkpError } from '../errors.js';
import { fingerprint, formatPublicKey } from '../ssh/public-key.js';
import type { Login } from '../ssh/names.js';
import { cachePaths, readCacheEntry, writeCacheEntry, type CacheEntry } from './cert-cache.js';
import type { SignerProfile } from './config.js';
import { ensureKeyPair, readKeyPair } from './keypair.js';
import { ensureKnownHosts } from './known-hosts.js';
import { requestUserCertificate } from './request-user-cert.js';
import { withSignerFallbacks } from './signer-chain.js';
import { buildSshArgs } from './ssh-command.js';

export interface ExecOptions {
  /** An instance ARN, or a bare instance id with `region`. */
  readonly instanceArn: string;
  readonly region?: string;
  readonly login: Login;
  readonly signers: readonly SignerProfile[];
  readonly identity?: string;
  readonly address?: string;
  readonly public: boolean;
  readonly port?: number;
  readonly refresh: boolean;
  readonly args: readonly string[];
  readonly home?: string;
  readonly sshPath?: string;
}

export interface PreparedSsh {
  readonly sshPath: string;
  readonly argv: string[];
  readonly fromCache: boolean;
  readonly certificatePath: string;
  readonly identityPath: string;
  readonly validBefore: number;
  readonly address: string;
  readonly knownHosts: string;
}

const describeAddress = async (instanceId: string, region: string, credentials: AwsCredentialIdentity, wantPublic: boolean): Promise<string> => {
  const { describeInstance } = await import('../aws/ec2-describe-instance.js');
  const facts = await describeInstance({ instanceId, region, credentials });
  if (!facts) throw new LkpError('InstanceNotUsable', `instance ${instanceId} does not exist in ${region} (or these credentials cannot see it)`);
  if (facts.state !== 'running') throw new LkpError('InstanceNotUsable', `instance ${instanceId} is ${facts.state}; start it first (aws ec2 start-instances --instance-ids ${instanceId})`);
  const address = wantPublic ? facts.publicIp : facts.privateIp;
  if (!address) throw new LkpError('InstanceNotUsable', `instance ${instanceId} has no ${wantPublic ? 'public' : 'private'} IPv4 address${wantPublic ? '' : '; try --public'}`);
  return address;
};

/** Everything up to starting ssh: returns the ssh argv. */
export const prepareSsh = async (opts: ExecOptions, now: () => number = () => Math.floor(Date.now() / 1000)): Promise<PreparedSsh> => {
  const target = parseTarget(opts.instanceArn);
  if (target.kind !== 'instance') throw new LkpError('UsageError', '--instance-arn must be an instance ARN: arn:aws:ec2:REGION:ACCOUNT:instance/i-…');
  const region = target.region ?? opts.region ?? opts.signers[0]?.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new LkpError('UsageError', `which region is ${target.instanceId} in? use its ARN, or set a region (signer profile, AWS_REGION)`);
  const home = opts.home ?? path.join(os.homedir(), '.lkp');
  const identityPath = path.resolve(opts.identity ?? path.join(home, 'id_ed25519'));
  const keyPair = opts.identity ? await readKeyPair(identityPath) : await ensureKeyPair(identityPath, `lkp ${os.userInfo().username}`);
  const principal = userPrincipal(opts.login, target.instanceId);
  const primary = opts.signers[0] as SignerProfile;
  const paths = cachePaths(path.join(home, 'cache'), { signer: primary.functionName, instanceId: target.instanceId, login: opts.login, keyFingerprint: fingerprint(keyPair.key) });

  let entry: CacheEntry | undefined = opts.refresh ? undefined : await readCacheEntry(paths, { key: keyPair.key, principal, now: now() });
  const fromCache = entry !== undefined;
  if (entry && opts.address) entry = { ...entry, address: opts.address };
  if (!entry) {
    const { personCredentials } = await import('./credentials.js');
    const { createAwsProof } = await import('../aws/identity-proof.js');
    const credentials = await personCredentials(primary.profile);
    const address = opts.address ?? (await describeAddress(target.instanceId, region, credentials, opts.public));
    const { value: cert } = await withSignerFallbacks(opts.signers, async (s) => {
      const signer = { functionName: s.functionName, region: s.region ?? region, credentials };
      const keys = await callSigner<CaKeysResponse>({ version: 1, action: 'ca-keys' }, signer);
      const proof = await createAwsProof({
        credentials,
        region: s.region ?? region,
        audience: keys.serverId,
        digest: requestDigest({ action: 'user-cert', publicKeys: [keyPair.key], login: opts.login, target: opts.instanceArn }),
      });
      return requestUserCertificate({ identity: { method: 'aws', proof }, keyPair, login: opts.login, target: opts.instanceArn, expectedPrincipal: principal, signer, nowSeconds: now() });
    });
    entry = {
      version: 1,
      certificate: cert.line,
      principal,
      address,
      hostCaKeys: cert.hostCaKeys.map((k) => formatPublicKey(k)),
      validBefore: Number(cert.parsed.validBefore),
    };
    await writeCacheEntry(paths, entry);
  }
  if (entry.hostCaKeys.length === 0) throw new LkpError('SignerError', 'the signer listed no host CA keys, so hosts cannot be verified');
  const knownHosts = await ensureKnownHosts(home, primary.name === 'default' ? primary.functionName : primary.name, entry.hostCaKeys);
  const sshPath = opts.sshPath ?? 'ssh';
  return {
    sshPath,
    argv: buildSshArgs({ sshPath, identity: identityPath, certificate: paths.cert, knownHosts, hostKeyAlias: target.instanceId, login: opts.login, address: entry.address, ...(opts.port ? { port: opts.port } : {}), args: opts.args }),
    fromCache,
    certificatePath: paths.cert,
    identityPath,
    validBefore: entry.validBefore,
    address: entry.address,
    knownHosts,
  };
};
