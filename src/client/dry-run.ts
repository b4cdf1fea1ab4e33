// `lkp ssh exec --dry-run`: what a run would do, with nothing issued and nothing spent. It
// reads the key pair and the certificate cache, may ask the signer for its public CA keys
// (`ca-keys`: free and unaudited as an issuance), and prints the user-cert requests, the
// address lookups and the ssh command line it would make. No certificate is requested, no
// cache entry written, no key created.
import { access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { CaKeysResponse } from '../api/response.js';
import { callSigner } from '../aws/invoke-signer.js';
import { endpointVariable, serviceEndpoint } from '../aws/endpoint.js';
import { LkpError } from '../errors.js';
import { fingerprint } from '../ssh/public-key.js';
import { readCacheEntry } from './cert-cache.js';
import type { SignerProfile } from './config.js';
import { knownHostsName, resolveHop, type ExecOptions, type HopSpec } from './exec.js';
import { lkpHome } from './home.js';
import { readKeyPair, type KeyPair } from './keypair.js';
import { knownHostsPath } from './known-hosts.js';
import { revokedHostKeysPath } from './revoked-host-keys-path.js';
import { buildSshArgs, formatCommandLine } from './ssh-command.js';
import { ssmProxyCommand } from './tunnel/ssm.js';

const endpointOf = (service: string, envId: string, region: string): string => `${serviceEndpoint(service, envId, region).origin} (${endpointVariable(envId)})`;

/** The lines a dry run prints (stdout), and the signer's failure when ca-keys failed. */
export const dryRunSsh = async (opts: ExecOptions & { agent?: boolean }, credentials: () => Promise<AwsCredentialIdentity>, now: number = Math.floor(Date.now() / 1000)): Promise<{ lines: string[]; failure?: LkpError }> => {
  const home = opts.home ?? lkpHome();
  const identityPath = path.resolve(opts.identity ?? path.join(home, 'id_ed25519'));
  const exists = await access(`${identityPath}.pub`).then(
    () => true,
    () => false,
  );
  // --identity must exist (as in a real run); the default key would be created, so say so.
  const keyPair: KeyPair | undefined = opts.identity || exists ? await readKeyPair(identityPath) : undefined;
  const primary = opts.signers[0] as SignerProfile;
  const out = ['dry run: no certificate requested, no token spent, nothing written'];
  out.push(`key:      ${identityPath}${keyPair ? ` ${fingerprint(keyPair.key)}` : ` (would be created: ed25519, for lkp ${os.userInfo().username})`}`);

  const jumps = opts.jumps ?? [];
  const via = opts.via ?? 'direct';
  const ssmCommand = ssmProxyCommand(primary.ssmDocument);
  const hops: HopSpec[] = [
    ...jumps.map((j, i): HopSpec => ({ ...j, addressMode: i === 0 ? 'prefer-public' : 'private' })),
    { target: opts.instanceArn, login: opts.login, ...(opts.port ? { port: opts.port } : {}), ...(opts.address ? { address: opts.address } : {}), addressMode: opts.public ? 'public' : 'private' },
  ];
  // The transport carries the first hop ssh dials. Session Manager reaches it by its instance
  // id, so nothing asks EC2 for an address; EICE needs none when lkp's route cache has the
  // instance and its endpoint. The hop then has the address the real run uses (and so finds
  // the same certificate cache entry).
  let routedNote: string | undefined;
  const first = hops[0] as HopSpec;
  const routed = via === 'direct' ? undefined : resolveHop(first, { home, signers: opts.signers, ...(opts.region ? { region: opts.region } : {}) });
  if (via === 'ssm' && routed) {
    out.push(`transport: ssm: ProxyCommand ${ssmCommand}`);
    hops[0] = { ...first, address: routed.target.instanceId };
    routedNote = 'the instance id: Session Manager reaches it; no EC2 lookup';
  }
  if (via === 'eice' && routed) {
    const cache = await import('./tunnel/eice-cache.js');
    const instance = await cache.readCachedInstance(home, routed.target.instanceId, routed.region, now);
    const key = opts.eiceId ?? instance?.vpcId;
    const endpoint = instance && key ? await cache.readCachedEndpoint(home, routed.region, key, now) : undefined;
    if (instance && endpoint) {
      out.push(`transport: eice: EC2 Instance Connect Endpoint ${endpoint.endpointId} (cached; no EC2 call) tunnels ssh (ProxyCommand lkp ssh proxy --via eice)`);
      hops[0] = { ...first, address: instance.privateIp };
      routedNote = 'private IPv4, cached with the EICE route; no EC2 lookup';
    } else {
      out.push(`transport: eice: would find the EC2 Instance Connect Endpoint ${opts.eiceId ?? "in the instance's VPC"} with EC2 DescribeInstanceConnectEndpoints and tunnel ssh through it (ProxyCommand lkp ssh proxy --via eice)`);
    }
  }
  const ctx = { home, signers: opts.signers, ...(opts.region ? { region: opts.region } : {}), ...(keyPair ? { key: keyPair.key } : {}) };
  let needsSigner = false;
  let failure: LkpError | undefined;
  let last: { instanceId: string; address: string; cert: string } | undefined;
  for (const [i, hop] of hops.entries()) {
    const { target, region, principal, paths } = resolveHop(hop, ctx);
    const role = i === hops.length - 1 ? 'instance' : `jump ${i + 1}`;
    out.push(`${role}: ${target.instanceId} in ${region}, login ${hop.login}${hop.port ? `, port ${hop.port}` : ''}`);
    const cached = paths && keyPair && !opts.refresh ? await readCacheEntry(paths, { key: keyPair.key, principal, now }) : undefined;
    let address: string;
    if (cached) {
      out.push(`  certificate: cached (${paths?.cert}), valid until ${new Date(cached.validBefore * 1000).toISOString()}; no signer call`);
      address = hop.address ?? cached.address;
      out.push(`  address:     ${address} (${i === 0 && routedNote ? routedNote : hop.address !== undefined ? 'given' : 'cached'})`);
    } else {
      needsSigner = true;
      const signer = `${primary.functionName} in ${primary.region ?? region}${primary.fallbacks.length ? ` (then ${primary.fallbacks.join(', ')})` : ''}`;
      out.push(`  certificate: would request a user-cert for ${principal} from signer ${signer}, proving who you are with a signed sts:GetCallerIdentity`);
      if (hop.address !== undefined) {
        address = hop.address;
        out.push(`  address:     ${address} (${i === 0 && routedNote ? routedNote : 'given'})`);
      } else {
        address = `<${hop.addressMode === 'private' ? 'private' : 'public'} IPv4 of ${target.instanceId}>`;
        out.push(`  address:     would look up the ${hop.addressMode === 'private' ? 'private' : hop.addressMode === 'public' ? 'public' : 'public (else private)'} IPv4 with EC2 DescribeInstances at ${endpointOf('ec2', 'EC2', region)}`);
      }
    }
    last = { instanceId: target.instanceId, address, cert: paths?.cert ?? path.join(home, 'cache', '<certificate>-cert.pub') };
  }
  const region = resolveHop(hops[hops.length - 1] as HopSpec, ctx).region;
  const signerRegion = primary.region ?? region;
  out.push(`signer:   ${primary.functionName} via Lambda Invoke at ${endpointOf('lambda', 'LAMBDA', signerRegion)}`);
  if (needsSigner) {
    // Only the public CA keys: it shows the signer answers and which CA would vouch for hosts.
    try {
      const keys = await callSigner<CaKeysResponse>({ version: 1, action: 'ca-keys' }, { functionName: primary.functionName, region: signerRegion, credentials: await credentials() });
      out.push(`  answers ca-keys: server id ${keys.serverId}, ${keys.hostCaKeys?.length ?? 0} host CA key(s), ${keys.userCaKeys?.length ?? 0} user CA key(s)`);
    } catch (error) {
      // The plan is still worth seeing; the run fails after it, as a real run would.
      if (!(error instanceof LkpError)) throw error;
      out.push(`  ca-keys failed: ${error.code}: ${error.message}`);
      failure = error;
    }
  }
  const knownHosts = knownHostsPath(home, knownHostsName(primary));
  if (opts.agent) out.push('agent:    would add the key and certificate to ssh-agent for the certificate\'s remaining life');
  const target = last as NonNullable<typeof last>;
  const sshPath = opts.sshPath ?? 'ssh';
  const argv =
    jumps.length === 0
      ? buildSshArgs({ sshPath, identity: identityPath, certificate: target.cert, knownHosts, revokedHostKeys: revokedHostKeysPath(home, knownHostsName(primary)), hostKeyAlias: target.instanceId, login: opts.login, address: via === 'ssm' ? target.instanceId : target.address, ...(opts.port ? { port: opts.port } : {}), ...(via === 'ssm' ? { proxyCommand: ssmCommand } : {}), args: opts.args })
      : ['-F', path.join(home, 'jump', '<written at run time>.conf'), `lkp-hop-${hops.length - 1}`, ...opts.args];
  out.push(`ssh:      ${formatCommandLine([sshPath, ...argv])}`);
  return { lines: out, ...(failure ? { failure } : {}) };
};
