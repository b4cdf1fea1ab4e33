// The two halves of transparent ssh. `prepare` (from Match exec) makes sure a certificate
// and the address for (instance, login) are in place under ~/.lkp/hosts/ID/, with the
// per-instance ssh config that lets the next connections skip lkp entirely until the
// certificate expires or the KRL copy is due a refresh; `proxy` (the ProxyCommand)
// connects stdin/stdout to that address, or through the transport prepare recorded, when
// that config could not be written.
import { mkdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { LkpError } from '../errors.js';
import { writeAtomic } from '../fs/write-atomic.js';
import { INSTANCE_ID_RE } from '../api/target.js';
import { parseCertificate } from '../ssh/parse-certificate.js';
import { safetyMargin } from './cert-cache.js';
import { checkHomeDirs } from './home.js';
import { prepareSsh, type ExecOptions } from './exec.js';
import { KRL_MAX_AGE_MS, krlWrittenAt } from './revoked-host-keys-path.js';
import { hostConfigInclude, isPlainAddress, renderHostConfig } from './ssh-config.js';
import { parseRoute, proxyCommandFor, type HostRoute } from './tunnel/route.js';

/** Host file locations for an instance id. */
export const hostFiles = (home: string, instanceId: string, login: string) => ({
  dir: path.join(home, 'hosts', instanceId),
  cert: path.join(home, 'hosts', instanceId, `${login}-cert.pub`),
  address: path.join(home, 'hosts', instanceId, 'address'),
  /** The per-instance ssh config (Included by the block). */
  config: path.join(home, 'hosts', instanceId, `${login}.conf`),
  /** The expiry guard earlier versions wrote as an executable (now inline in the config): removed. */
  guard: path.join(home, 'hosts', instanceId, `${login}.valid`),
  /** The transport when it is not direct (--via eice / ssm): what the proxy needs. */
  route: path.join(home, 'hosts', instanceId, 'route.json'),
});

/** Obtains or reuses the certificate and address; copies them where the ssh config looks. */
export const prepareHost = async (opts: Omit<ExecOptions, 'args' | 'public' | 'refresh'> & { home: string }): Promise<void> => {
  const instanceId = opts.instanceArn;
  if (!INSTANCE_ID_RE.test(instanceId)) throw new LkpError('UsageError', `${instanceId} is not an instance id`);
  // ssh reads and runs what this writes under hosts/ID: refuse a home another user can write.
  checkHomeDirs(opts.home, ['hosts', path.join('hosts', instanceId)]);
  const prepared = await prepareSsh({ ...opts, public: false, refresh: false, args: [] });
  const files = hostFiles(opts.home, instanceId, opts.login);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  const cert = await readFile(prepared.certificatePath);
  await writeAtomic(files.cert, cert, 0o600);
  await writeAtomic(files.address, `${prepared.address}\n`, 0o600);
  await writeAtomic(files.route, `${JSON.stringify(prepared.route ?? { via: 'direct' })}\n`, 0o600);
  // ssm's ProxyCommand needs the region and profile in its environment, which plain ssh
  // does not set: that transport keeps the prepare + proxy path (the proxy sets them).
  const proxyCommand = prepared.route?.via === 'eice' && opts.lkpCommand ? proxyCommandFor(prepared.route, opts.lkpCommand, instanceId) : undefined;
  if (!hostConfigInclude(opts.home) || !isPlainAddress(prepared.address) || (prepared.route && !proxyCommand)) {
    // ssh could not read it back safely: this login keeps the prepare + proxy path.
    await rm(files.config, { force: true });
    return;
  }
  // Used while the cache would use it: until the safety margin before expiry (cert-cache.ts),
  // and no longer than the KRL copy may age (prepare, run again then, refreshes it).
  const parsed = parseCertificate(cert.toString('utf8').trim());
  const validBefore = Math.min(Number(parsed.validBefore), 253402300799); // "forever": year 9999
  const nowSeconds = Math.floor(Date.now() / 1000);
  const krlAt = Math.min(Math.floor(((await krlWrittenAt(prepared.revokedHostKeys)) ?? 0) / 1000), nowSeconds);
  const until = Math.min(validBefore - safetyMargin(validBefore - Number(parsed.validAfter)), krlAt + KRL_MAX_AGE_MS / 1000);
  await writeAtomic(
    files.config,
    renderHostConfig({
      instanceId,
      login: opts.login,
      address: prepared.address,
      identity: prepared.identityPath,
      certificate: files.cert,
      knownHosts: prepared.knownHosts,
      revokedHostKeys: prepared.revokedHostKeys,
      until,
      ...(proxyCommand ? { proxyCommand } : {}),
    }),
    0o600,
  );
  await rm(files.guard, { force: true });
};

/** The route `prepare` wrote, parsed strictly; direct when there is none (a block installed before transports). */
const readRoute = async (file: string): Promise<HostRoute | undefined> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LkpError('FileSystem', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new LkpError('ConfigInvalid', `${file} is not valid JSON; run ssh again (lkp ssh prepare rewrites it)`, { cause: error });
  }
  return parseRoute(doc, file);
};

/** Pipes stdin/stdout to the instance (ssh's ProxyCommand): by the route prepare chose, else ADDRESS:PORT. */
export const proxyToHost = async (home: string, instanceId: string, port: number): Promise<number> => {
  if (!INSTANCE_ID_RE.test(instanceId)) throw new LkpError('UsageError', `${instanceId} is not an instance id`);
  // The route and address come from hosts/ID: only as prepare left them, in folders no one else can write.
  checkHomeDirs(home, ['hosts', path.join('hosts', instanceId)]);
  const route = await readRoute(hostFiles(home, instanceId, 'x').route);
  if (route?.via === 'eice') {
    const { proxyViaEice } = await import('./tunnel/proxy.js');
    await proxyViaEice(route, port, { instanceId, home });
    return 0;
  }
  if (route?.via === 'ssm') {
    const { runSsmProxy } = await import('./tunnel/ssm.js');
    return runSsmProxy(instanceId, port, route.region, route.profile, route.document);
  }
  let address: string;
  try {
    address = (await readFile(hostFiles(home, instanceId, 'x').address, 'utf8')).trim();
  } catch {
    throw new LkpError('UsageError', `no address for ${instanceId}: lkp ssh prepare has not run for it`);
  }
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host: address, port }, () => {
      process.stdin.pipe(socket);
      socket.pipe(process.stdout);
    });
    socket.on('error', (error) => reject(new LkpError('SshFailed', `cannot connect to ${instanceId} at ${address}:${port}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)));
    socket.on('close', () => resolve());
    process.stdin.on('end', () => socket.end());
  });
  return 0;
};
