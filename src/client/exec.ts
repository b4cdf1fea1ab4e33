// `lkp ssh exec`: a certificate for exactly (instance, login) — from the cache when it
// still has a safety margin, else from the signer with an `aws` identity proof — the
// address from EC2, host verification by certificate, then ssh with the user's arguments.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AwsCredentialIdentity } from '@smithy/types';
import { requestDigest } from '../api/digest.js';
import { userPrincipal } from '../api/principal-scheme.js';
import type { CaKeysResponse } from '../api/response.js';
import { parseTarget, type Target } from '../api/target.js';
import { callSigner, preloadLambdaClient } from '../aws/invoke-signer.js';
import { LkpError } from '../errors.js';
import { writeAtomic } from '../fs/write-atomic.js';
import { fingerprint, formatPublicKey } from '../ssh/public-key.js';
import { parseLogin, type Login } from '../ssh/names.js';
import { cachePaths, readCacheEntry, writeCacheEntry, type CacheEntry } from './cert-cache.js';
import type { SignerProfile } from './config.js';
import { ensureKeyPair, readKeyPair, type KeyPair } from './keypair.js';
import { lkpHome } from './home.js';
import { ensureKnownHosts } from './known-hosts.js';
import { krlConfigPath, krlIsFresh, refreshRevokedHostKeys, revokedHostKeysPath } from './revoked-host-keys.js';
import { requestUserCertificate } from './request-user-cert.js';
import { withSignerFallbacks } from './signer-chain.js';
import { buildSshArgs } from './ssh-command.js';
import { configPath } from './ssh-config.js';
import type { HostRoute } from './tunnel/route.js';
import type { Transport } from './tunnel/transport.js';

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
  /** Bastions, outermost first. */
  readonly jumps?: readonly HopSpec[];
  readonly home?: string;
  readonly sshPath?: string;
  /** How ssh reaches the target (and the first bastion): default direct. */
  readonly via?: Transport;
  /** --eice-id: this EC2 Instance Connect Endpoint instead of the one in the instance's VPC. */
  readonly eiceId?: string;
  /** Seconds (1..3600, default 3600): EICE's maxTunnelDuration. */
  readonly maxTunnelSeconds?: number;
  /** The command that runs lkp again (the eice ProxyCommand): see src/cli/self.ts. */
  readonly lkpCommand?: readonly string[];
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
  /** The target's route when not direct (the transparent mode's proxy reads it). */
  readonly route?: HostRoute;
  /** Environment ssh needs on top of ours (the ssm ProxyCommand's region and profile). */
  readonly env?: Record<string, string>;
  /** The signer's KRL, ssh's RevokedHostKeys. */
  readonly revokedHostKeys: string;
}

export type AddressMode = 'private' | 'public' | 'prefer-public';

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

/** One hop (a bastion or the target) to certify: the target string goes to the signer verbatim. */
export interface HopSpec {
  readonly target: string;
  readonly login: Login;
  readonly port?: number;
  readonly address?: string;
  readonly addressMode: AddressMode;
  /** The option it came from, for messages. */
  readonly flag?: string;
}

interface CertifiedHop {
  readonly instanceId: string;
  readonly login: Login;
  readonly port?: number;
  readonly certPath: string;
  readonly address: string;
  readonly hostCaKeys: readonly string[];
  readonly validBefore: number;
  readonly fromCache: boolean;
  readonly proxyCommand?: string;
}

interface HopContext {
  readonly home: string;
  readonly keyPair: KeyPair;
  readonly signers: readonly SignerProfile[];
  readonly region?: string;
  readonly refresh: boolean;
  readonly now: () => number;
  readonly credentials: () => Promise<AwsCredentialIdentity>;
}

type InstanceTarget = Extract<Target, { kind: 'instance' }>;

/** An instance ARN or id as the user typed it: one code and one wording for every bad shape. */
export const parseInstanceRef = (value: string, flag: string): InstanceTarget => {
  let target: Target | undefined;
  try {
    target = parseTarget(value);
  } catch {
    target = undefined;
  }
  if (target?.kind !== 'instance') throw new LkpError('UsageError', `${flag} ${JSON.stringify(value.slice(0, 120))} is not an EC2 instance ARN (arn:aws:ec2:REGION:ACCOUNT:instance/i-…) or instance id`);
  return target;
};

/** Parses a --jump value: `[LOGIN@]ARN-or-instance-id[#PORT]`. */
export const parseJump = (value: string, defaultLogin: Login): HopSpec => {
  const m = /^(?:([^@#]+)@)?([^@#]+)(?:#(\d{1,5}))?$/.exec(value);
  if (!m) throw new LkpError('UsageError', `--jump ${JSON.stringify(value)} must be [LOGIN@]INSTANCE-ARN[#PORT]`);
  parseInstanceRef(m[2] as string, '--jump');
  return { target: m[2] as string, login: m[1] ? parseLogin(m[1]) : defaultLogin, ...(m[3] ? { port: Number(m[3]) } : {}), addressMode: 'private', flag: '--jump' };
};

/** What a hop is, before any network call: instance, region, principal, cache files. */
export const resolveHop = (hop: HopSpec, ctx: { home: string; signers: readonly SignerProfile[]; region?: string; key?: KeyPair['key'] }) => {
  const target = parseInstanceRef(hop.target, hop.flag ?? '--instance-arn');
  const region = target.region ?? ctx.region ?? ctx.signers[0]?.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new LkpError('UsageError', `which region is ${target.instanceId} in? use its ARN, or set a region (signer profile, AWS_REGION)`);
  const principal = userPrincipal(hop.login, target.instanceId);
  const primary = ctx.signers[0] as SignerProfile;
  const paths = ctx.key
    ? cachePaths(path.join(ctx.home, 'cache'), {
        signer: primary.functionName,
        instanceId: target.instanceId,
        login: hop.login,
        keyFingerprint: fingerprint(ctx.key),
        addressMode: hop.address !== undefined ? `fixed:${hop.address}` : hop.addressMode,
      })
    : undefined;
  return { target, region, principal, paths };
};

/** Gets (or reuses) the certificate for one hop and its address. */
const certifyHop = async (hop: HopSpec, ctx: HopContext): Promise<CertifiedHop> => {
  const resolved = resolveHop(hop, { ...ctx, key: ctx.keyPair.key });
  const { target, region, principal } = resolved;
  const paths = resolved.paths as NonNullable<typeof resolved.paths>;
  const cached = ctx.refresh ? undefined : await readCacheEntry(paths, { key: ctx.keyPair.key, principal, now: ctx.now() });
  let entry: CacheEntry;
  if (cached) entry = cached;
  else {
    preloadMissPath(hop.address === undefined);
    const [{ createAwsProof }, credentials] = await Promise.all([import('../aws/identity-proof.js'), ctx.credentials()]);
    // The address and the certificate are fetched together (one round trip of waiting); the
    // signer checks the instance too, so a stopped one is refused there as well. EC2's word
    // (stopped, unknown) is the clearer error, so it wins when both fail.
    const [addressResult, certResult] = await Promise.allSettled([
      hop.address !== undefined ? Promise.resolve(hop.address) : describeAddress(target.instanceId, region, credentials, hop.addressMode),
      withSignerFallbacks(ctx.signers, async (s) => {
        const signer = { functionName: s.functionName, region: s.region ?? region, credentials };
        const keys = await callSigner<CaKeysResponse>({ version: 1, action: 'ca-keys' }, signer);
        const proof = await createAwsProof({
          credentials,
          region: s.region ?? region,
          audience: keys.serverId,
          digest: requestDigest({ action: 'user-cert', publicKeys: [ctx.keyPair.key], login: hop.login, target: hop.target }),
        });
        return requestUserCertificate({ identity: { method: 'aws', proof }, keyPair: ctx.keyPair, login: hop.login, target: hop.target, expectedPrincipal: principal, signer, nowSeconds: ctx.now() });
      }),
    ]);
    if (addressResult.status === 'rejected') throw addressResult.reason;
    if (certResult.status === 'rejected') throw certResult.reason;
    const address = addressResult.value;
    const cert = certResult.value.value;
    entry = { version: 1, certificate: cert.line, principal, address, hostCaKeys: cert.hostCaKeys.map((k) => formatPublicKey(k)), validBefore: Number(cert.parsed.validBefore) };
    await writeCacheEntry(paths, entry);
  }
  if (entry.hostCaKeys.length === 0) throw new LkpError('SignerError', 'the signer listed no host CA keys, so hosts cannot be verified');
  return {
    instanceId: target.instanceId,
    login: hop.login,
    ...(hop.port ? { port: hop.port } : {}),
    certPath: paths.cert,
    address: hop.address ?? entry.address,
    hostCaKeys: entry.hostCaKeys,
    validBefore: entry.validBefore,
    fromCache: cached !== undefined,
  };
};

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * An ssh config with one Host block per hop, each with its own certificate and alias. A
 * hop reaches the next through a ProxyCommand lkp quotes itself: ssh's own ProxyJump
 * passes `-F FILE` to the inner ssh through a shell unquoted, so a path with a space breaks.
 */
export const renderJumpConfig = (hops: readonly CertifiedHop[], identity: string, knownHosts: string, revokedHostKeys: string, self: { configFile: string; sshPath: string }): string =>
  hops
    .map((h, i) =>
      [
        `Host lkp-hop-${i}`,
        `    HostName ${h.address}`,
        ...(h.port ? [`    Port ${h.port}`] : []),
        `    User ${h.login}`,
        `    IdentityFile ${configPath(identity)}`,
        '    IdentitiesOnly yes',
        `    CertificateFile ${configPath(h.certPath)}`,
        `    UserKnownHostsFile ${configPath(knownHosts)}`,
        `    RevokedHostKeys ${krlConfigPath(revokedHostKeys)}`,
        '    GlobalKnownHostsFile /dev/null',
        '    StrictHostKeyChecking yes',
        '    UpdateHostKeys no',
        `    HostKeyAlias ${h.instanceId}`,
        ...(i > 0 ? [`    ProxyCommand ${[shellQuote(self.sshPath), '-F', shellQuote(self.configFile)].join(' ').replace(/%/g, '%%')} -W '[%h]:%p' lkp-hop-${i - 1}`] : h.proxyCommand ? [`    ProxyCommand ${h.proxyCommand}`] : []),
        '',
      ].join('\n'),
    )
    .join('\n');

/** The name a signer's known_hosts file is kept under. */
export const knownHostsName = (signer: SignerProfile): string => (signer.name === 'default' ? signer.functionName : signer.name);

/** Everything up to starting ssh: returns the ssh argv. */
export const prepareSsh = async (opts: ExecOptions, now: () => number = () => Math.floor(Date.now() / 1000)): Promise<PreparedSsh> => {
  parseInstanceRef(opts.instanceArn, '--instance-arn');
  // --refresh is a miss whatever the cache holds: start loading its clients at once.
  if (opts.refresh) preloadMissPath(opts.address === undefined || (opts.jumps ?? []).length > 0);
  const home = opts.home ?? lkpHome();
  const identityPath = path.resolve(opts.identity ?? path.join(home, 'id_ed25519'));
  const keyPair = opts.identity ? await readKeyPair(identityPath) : await ensureKeyPair(identityPath, `lkp ${os.userInfo().username}`);
  const primary = opts.signers[0] as SignerProfile;
  let credentials: Promise<AwsCredentialIdentity> | undefined;
  const ctx: HopContext = {
    home,
    keyPair,
    signers: opts.signers,
    ...(opts.region ? { region: opts.region } : {}),
    refresh: opts.refresh,
    now,
    credentials: () => (credentials ??= import('./credentials.js').then((m) => m.personCredentials(primary.profile))),
  };
  const jumps = opts.jumps ?? [];
  const via = opts.via ?? 'direct';
  if (via !== 'direct' && jumps.length === 0 && (opts.address !== undefined || opts.public)) throw new LkpError('UsageError', `--via ${via} reaches the instance through AWS: it takes no --address or --public`);
  if (via === 'ssm') (await import('./tunnel/ssm.js')).checkSsmTools(process.env, primary.ssmDocument);
  let route: HostRoute | undefined;
  /** The first hop ssh dials goes through the transport; later hops go through the hop before. */
  const routed = async (hop: HopSpec): Promise<CertifiedHop> => {
    if (via === 'direct') return certifyHop(hop, ctx);
    const { checkRegion, proxyCommandFor, resolveEiceRoute } = await import('./tunnel/route.js');
    const { target, region } = resolveHop(hop, ctx);
    const profile = primary.profile;
    if (via === 'ssm') {
      route = { via: 'ssm', region: checkRegion(region, 'region'), ...(profile ? { profile } : {}), ...(primary.ssmDocument ? { document: primary.ssmDocument } : {}) };
      // ssh dials the instance id (%h), which the documented ProxyCommand hands to Session Manager.
      return { ...(await certifyHop({ ...hop, address: target.instanceId }, ctx)), proxyCommand: proxyCommandFor(route, [], target.instanceId) };
    }
    const eice = await resolveEiceRoute({ instanceId: target.instanceId, region, credentials: ctx.credentials, ...(opts.eiceId ? { endpointId: opts.eiceId } : {}), ...(profile ? { profile } : {}), maxTunnelSeconds: opts.maxTunnelSeconds ?? 3600, home, now: now() });
    route = eice;
    if (!opts.lkpCommand) throw new LkpError('Internal', 'the eice transport needs the command that runs lkp');
    return { ...(await certifyHop({ ...hop, address: eice.privateIp }, ctx)), proxyCommand: proxyCommandFor(eice, opts.lkpCommand, target.instanceId) };
  };
  // A bastion is reached from outside: the first hop prefers its public address (unless a transport carries it).
  const hops: CertifiedHop[] = [];
  for (const [i, j] of jumps.entries()) hops.push(i === 0 ? await routed({ ...j, addressMode: 'prefer-public' }) : await certifyHop({ ...j, addressMode: 'private' }, ctx));
  const targetSpec: HopSpec = { target: opts.instanceArn, login: opts.login, ...(opts.port ? { port: opts.port } : {}), ...(opts.address ? { address: opts.address } : {}), addressMode: opts.public ? 'public' : 'private' };
  const target = hops.length === 0 ? await routed(targetSpec) : await certifyHop(targetSpec, ctx);
  const allKeys = [...new Set([...hops, target].flatMap((h) => h.hostCaKeys))];
  const knownHosts = await ensureKnownHosts(home, knownHostsName(primary), allKeys);
  // Revoked host certificates: the signer was just asked on a miss, so the KRL is fetched
  // too; a hit only stats the copy and fetches it when it has grown old.
  const revokedHostKeys = revokedHostKeysPath(home, knownHostsName(primary));
  const anyMiss = [...hops, target].some((h) => !h.fromCache);
  if (opts.refresh || anyMiss || !(await krlIsFresh(revokedHostKeys, now() * 1000))) {
    const region = opts.region ?? primary.region ?? resolveHop({ target: opts.instanceArn, login: opts.login, addressMode: 'private' }, ctx).region;
    const { fetchKrl } = await import('../krl/fetch-krl.js');
    await refreshRevokedHostKeys(
      revokedHostKeys,
      async () => {
        const credentials = await ctx.credentials();
        return (await withSignerFallbacks(opts.signers, (s) => fetchKrl({ functionName: s.functionName, region: s.region ?? region, credentials }))).value;
      },
      (line) => void process.stderr.write(`${line}\n`),
    );
  }
  const sshPath = opts.sshPath ?? 'ssh';
  let argv: string[];
  if (hops.length === 0) {
    argv = buildSshArgs({ sshPath, identity: identityPath, certificate: target.certPath, knownHosts, revokedHostKeys, hostKeyAlias: target.instanceId, login: opts.login, address: target.address, ...(opts.port ? { port: opts.port } : {}), ...(target.proxyCommand ? { proxyCommand: target.proxyCommand } : {}), args: opts.args });
  } else {
    const all = [...hops, target];
    // Named by a hash of its content (rendered with a stand-in for its own name).
    const draft = renderJumpConfig(all, identityPath, knownHosts, revokedHostKeys, { configFile: '', sshPath });
    const configFile = path.join(home, 'jump', `${createHash('sha256').update(draft).digest('hex').slice(0, 24)}.conf`);
    const configText = renderJumpConfig(all, identityPath, knownHosts, revokedHostKeys, { configFile, sshPath });
    await mkdir(path.dirname(configFile), { recursive: true, mode: 0o700 });
    await writeAtomic(configFile, configText, 0o600);
    argv = ['-F', configFile, `lkp-hop-${all.length - 1}`, ...opts.args];
  }
  return {
    sshPath,
    argv,
    fromCache: [...hops, target].every((h) => h.fromCache),
    certificatePath: target.certPath,
    identityPath,
    validBefore: target.validBefore,
    address: target.address,
    knownHosts,
    ...(route && hops.length === 0 ? { route } : {}),
    ...(route?.via === 'ssm' ? { env: (await import('./tunnel/ssm.js')).ssmEnv(route.region, route.profile) } : {}),
    revokedHostKeys,
  };
};
