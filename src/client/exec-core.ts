// `lkp ssh exec` up to starting ssh, without the signer: the certificate from the cache,
// the known_hosts file, the KRL's age, the ssh argv. A miss, a transport (--via eice|ssm)
// and a KRL refresh are handed to a `MissPath` (src/client/exec.ts asks the signer and
// AWS); this module imports nothing only those need, so the cache-hit path
// (src/cli/exec-hit.ts, one small bundle) starts fast.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { userPrincipal } from '../api/principal-scheme.js';
import { parseTarget, type Target } from '../api/target.js';
import { LkpError } from '../errors.js';
import { writeAtomic } from '../fs/write-atomic.js';
import { fingerprint } from '../ssh/public-key.js';
import { parseLogin, type Login } from '../ssh/names.js';
import { cachePaths, readCacheEntry, writeCacheEntry, type CacheEntry } from './cert-cache.js';
import type { SignerProfile } from './config.js';
import { readKeyPair, type KeyPair } from './keypair-read.js';
import { checkHomeDirs, lkpHome } from './home.js';
import { ensureKnownHosts } from './known-hosts.js';
import { krlConfigPath, krlIsFresh, revokedHostKeysPath } from './revoked-host-keys-path.js';
import { buildSshArgs } from './ssh-command.js';
import { configPath, isPlainAddress } from './ssh-config.js';
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
  /** How old the KRL copy may be when it cannot be refreshed (default KRL_HARD_MAX_AGE_MS, 24 h). */
  readonly krlMaxAgeMs?: number;
  /** --allow-stale-krl: connect with an older copy anyway. */
  readonly allowStaleKrl?: boolean;
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

export interface CertifiedHop {
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

export interface HopContext {
  readonly home: string;
  readonly keyPair: KeyPair;
  readonly signers: readonly SignerProfile[];
  readonly region?: string;
  readonly refresh: boolean;
  readonly now: () => number;
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

/** What a miss does for one hop: ask the signer (and EC2) and return the entry to cache. */
export type FetchHop = (hop: HopSpec, resolved: { readonly target: InstanceTarget; readonly region: string; readonly principal: string }, ctx: HopContext) => Promise<Omit<CacheEntry, 'version'>>;

/** A hop ssh reaches through a transport: where ssh dials (%h), the ProxyCommand, the route. */
export interface RoutedHop {
  readonly address: string;
  readonly proxyCommand: string;
  readonly route: HostRoute;
  /** Environment the ProxyCommand needs (ssm: region and profile). */
  readonly env?: Record<string, string>;
}

/**
 * What only the full CLI does (src/client/exec.ts): a miss, a transport's route, a KRL
 * refresh. The hit path passes ones that give up, so it loads none of it.
 */
export interface MissPath {
  readonly fetchHop: FetchHop;
  /** The default key pair when it is absent (exec.ts creates it). */
  readonly missingKey?: (identityPath: string) => Promise<KeyPair>;
  readonly routeHop: (via: Exclude<Transport, 'direct'>, hop: HopSpec, resolved: { readonly target: InstanceTarget; readonly region: string }) => Promise<RoutedHop>;
  /** Fetches and installs the signer's KRL at `file` (a miss, --refresh, or a copy past its age). */
  readonly refreshKrl: (file: string, region: string) => Promise<void>;
}

/** Gets (or reuses) the certificate for one hop and its address. */
const certifyHop = async (hop: HopSpec, ctx: HopContext, fetchHop: FetchHop): Promise<CertifiedHop> => {
  const resolved = resolveHop(hop, { ...ctx, key: ctx.keyPair.key });
  const { target, region, principal } = resolved;
  const paths = resolved.paths as NonNullable<typeof resolved.paths>;
  const cached = ctx.refresh ? undefined : await readCacheEntry(paths, { key: ctx.keyPair.key, principal, now: ctx.now() });
  let entry: CacheEntry;
  if (cached) entry = cached;
  else {
    entry = { version: 1, ...(await fetchHop(hop, { target, region, principal }, ctx)) };
    await writeCacheEntry(paths, entry);
  }
  if (entry.hostCaKeys.length === 0) throw new LkpError('SignerError', 'the signer listed no host CA keys, so hosts cannot be verified');
  const address = hop.address ?? entry.address;
  // It becomes ssh's destination or a HostName line: nothing ssh could read as an option or a directive.
  if (!isPlainAddress(address)) throw new LkpError(hop.address !== undefined ? 'UsageError' : 'InstanceNotUsable', `${hop.address !== undefined ? '--address ' : `the address of ${target.instanceId}, `}${JSON.stringify(address.slice(0, 120))}, is not an IP address or DNS name`);
  return {
    instanceId: target.instanceId,
    login: hop.login,
    ...(hop.port ? { port: hop.port } : {}),
    certPath: paths.cert,
    address,
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

/**
 * Everything up to starting ssh: returns the ssh argv. `miss` serves what a cache hit
 * cannot (a certificate, a transport's route, a KRL older than KRL_MAX_AGE_MS); the hit
 * path (src/cli/exec-hit.ts) passes one that gives up, so it loads nothing of those.
 */
export const prepareSshWith = async (opts: ExecOptions, now: () => number, miss: MissPath): Promise<PreparedSsh> => {
  parseInstanceRef(opts.instanceArn, '--instance-arn');
  const home = opts.home ?? lkpHome();
  // ssh trusts the known_hosts, cached certificates and jump configs kept here (a few lstat calls).
  checkHomeDirs(home, ['cache', 'jump']);
  const identityPath = path.resolve(opts.identity ?? path.join(home, 'id_ed25519'));
  // The default key is made on first use (by `missingKey`); a key the user named must exist.
  const keyPair = opts.identity ? await readKeyPair(identityPath) : await (miss.missingKey ?? readKeyPair)(identityPath);
  const primary = opts.signers[0] as SignerProfile;
  const ctx: HopContext = {
    home,
    keyPair,
    signers: opts.signers,
    ...(opts.region ? { region: opts.region } : {}),
    refresh: opts.refresh,
    now,
  };
  const jumps = opts.jumps ?? [];
  const via = opts.via ?? 'direct';
  if (via !== 'direct' && jumps.length === 0 && (opts.address !== undefined || opts.public)) throw new LkpError('UsageError', `--via ${via} reaches the instance through AWS: it takes no --address or --public`);
  let routedBy: RoutedHop | undefined;
  /** The first hop ssh dials goes through the transport; later hops go through the hop before. */
  const routed = async (hop: HopSpec): Promise<CertifiedHop> => {
    if (via === 'direct') return certifyHop(hop, ctx, miss.fetchHop);
    const r = await miss.routeHop(via, hop, resolveHop(hop, ctx));
    routedBy = r;
    return { ...(await certifyHop({ ...hop, address: r.address }, ctx, miss.fetchHop)), proxyCommand: r.proxyCommand };
  };
  // A bastion is reached from outside: the first hop prefers its public address (unless a transport carries it).
  const hops: CertifiedHop[] = [];
  for (const [i, j] of jumps.entries()) hops.push(i === 0 ? await routed({ ...j, addressMode: 'prefer-public' }) : await certifyHop({ ...j, addressMode: 'private' }, ctx, miss.fetchHop));
  const targetSpec: HopSpec = { target: opts.instanceArn, login: opts.login, ...(opts.port ? { port: opts.port } : {}), ...(opts.address ? { address: opts.address } : {}), addressMode: opts.public ? 'public' : 'private' };
  const target = hops.length === 0 ? await routed(targetSpec) : await certifyHop(targetSpec, ctx, miss.fetchHop);
  const allKeys = [...new Set([...hops, target].flatMap((h) => h.hostCaKeys))];
  const knownHosts = await ensureKnownHosts(home, knownHostsName(primary), allKeys);
  // Revoked host certificates: the signer was just asked on a miss, so the KRL is fetched
  // too; a hit only stats the copy and fetches it when it has grown old.
  const revokedHostKeys = revokedHostKeysPath(home, knownHostsName(primary));
  const anyMiss = [...hops, target].some((h) => !h.fromCache);
  if (opts.refresh || anyMiss || !(await krlIsFresh(revokedHostKeys, now() * 1000))) {
    const region = opts.region ?? primary.region ?? resolveHop({ target: opts.instanceArn, login: opts.login, addressMode: 'private' }, ctx).region;
    await miss.refreshKrl(revokedHostKeys, region);
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
    ...(routedBy && hops.length === 0 ? { route: routedBy.route } : {}),
    ...(routedBy?.env ? { env: routedBy.env } : {}),
    revokedHostKeys,
  };
};
