// Bench section 11 (issue 12): time to the first byte through the EC2 Instance Connect
// Endpoint tunnel on loopback against a direct TCP connection to the same sshd, in the same
// run. The first byte is sshd's banner ("SSH-2.0-…"), what ssh waits for before anything.
// Tunnel = presign the openTunnel URL (SigV4, lkp's own code from dist/) + WebSocket
// handshake to the loopback EICE fake (test/fakes/eice.ts, which verifies the signature
// for real) + the fake's TCP connect to sshd + the banner back in a binary frame.
// Also, for information: `lkp ssh proxy --via eice` as ssh runs it (a new process).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { BenchError, childEnv, fmtMs, fmtX, list, median, shown } from './lib.js';

const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd'];

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const startSshd = async (dir, cleanups) => {
  const key = path.join(dir, 'ssh_host_ed25519_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const config = path.join(dir, 'sshd_config');
  writeFileSync(config, ['StrictModes no', 'UsePAM no', 'PasswordAuthentication no', `HostKey ${key}`, `PidFile ${path.join(dir, 'sshd.pid')}`, ''].join('\n'));
  mkdirSync('/run/sshd', { recursive: true });
  const port = await freePort();
  const bin = SSHD.find((p) => {
    try {
      execFileSync(p, ['-t', '-f', config]);
      return true;
    } catch {
      return false;
    }
  });
  if (!bin) throw new BenchError('no usable sshd');
  const child = spawn(bin, ['-D', '-e', '-f', config, '-p', String(port), '-o', 'ListenAddress=127.0.0.1'], { stdio: 'ignore' });
  cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
  for (let i = 0; i < 200; i += 1) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return port;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new BenchError('sshd did not start');
};

const direct = (port) =>
  new Promise((resolve, reject) => {
    const t = performance.now();
    const s = net.connect(port, '127.0.0.1');
    s.once('data', (d) => {
      const ms = performance.now() - t;
      s.destroy();
      if (!d.toString().startsWith('SSH-')) reject(new BenchError(`not an ssh banner: ${d.toString().slice(0, 40)}`));
      else resolve(ms);
    });
    s.on('error', reject);
  });

/** Runs section 11; returns the summary rows. */
export const benchEiceTunnel = async ({ root, tmp, cleanups, rounds = 15 }) => {
  const dir = path.join(tmp, 'eice');
  mkdirSync(dir, { recursive: true });
  const { build } = await import('esbuild');
  const fakeFile = path.join(dir, 'eice-fake.mjs');
  await build({
    stdin: { contents: "export { startFakeEice } from './test/fakes/eice.ts';\nexport * from './test/fakes/credentials.ts';", resolveDir: root, loader: 'ts', sourcefile: 'bench-eice.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: fakeFile,
    logLevel: 'error',
    banner: { js: "import { createRequire as __lkpCreateRequire } from 'node:module'; const require = __lkpCreateRequire(import.meta.url);" },
  });
  const fakes = await import(pathToFileURL(fakeFile).href);
  const { presignOpenTunnel, pipeTunnel } = await import(pathToFileURL(path.join(root, 'dist/client/tunnel/eice.js')).href);
  const sshdPort = await startSshd(dir, cleanups);
  const registry = new fakes.CredentialRegistry();
  const person = registry.add(fakes.assumedRole('AWSReservedSSO_Admin_abc123', 'alice@example.com'));
  const creds = fakes.sdkCredentials(person);
  const target = { endpointId: 'eice-0123456789abcdef0', dnsName: 'eice-0123456789abcdef0.x.ec2-instance-connect-endpoint.us-east-1.amazonaws.com', privateIp: '10.0.0.7', port: 22, region: 'us-east-1', maxDurationSeconds: 3600 };
  const eice = await fakes.startFakeEice({ registry, endpoints: [{ endpointId: target.endpointId, routes: new Map([[target.privateIp, sshdPort]]) }], region: 'us-east-1' });
  cleanups.push(() => eice.close());
  const env = { AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT: eice.url };

  const tunnel = async () => {
    const t = performance.now();
    const url = await presignOpenTunnel(target, creds, { env });
    const input = new PassThrough();
    const output = new PassThrough();
    let ms;
    let banner = '';
    output.once('data', (d) => {
      ms = performance.now() - t;
      banner = d.toString();
      input.end();
    });
    await pipeTunnel(url, { input, output, maxDurationSeconds: 3600, target });
    if (!banner.startsWith('SSH-')) throw new BenchError(`no ssh banner through the tunnel: ${banner.slice(0, 40)}`);
    return ms;
  };
  const proxyArgs = [path.join(root, 'bin/lkp.js'), 'ssh', 'proxy', '--via', 'eice', '--host', 'i-0123456789abcdef0', '--port', '22', '--address', target.privateIp, '--eice-id', target.endpointId, '--eice-dns', target.dnsName, '--region', 'us-east-1'];
  const proxyEnv = childEnv({ ...env, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_SESSION_TOKEN: creds.sessionToken ?? '' });
  const proxy = () =>
    new Promise((resolve, reject) => {
      const t = performance.now();
      const child = spawn(process.execPath, proxyArgs, { env: proxyEnv, stdio: ['pipe', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.stdout.once('data', (d) => {
        const ms = performance.now() - t;
        child.stdin.end();
        if (!d.toString().startsWith('SSH-')) reject(new BenchError(`no banner from lkp ssh proxy: ${d.toString().slice(0, 40)}`));
        else resolve(ms);
      });
      child.on('exit', (code) => code !== 0 && reject(new BenchError(`lkp ssh proxy exited ${code}: ${err.slice(0, 300)}`)));
    });

  const d = [];
  const w = [];
  const p = [];
  for (let i = 0; i <= rounds; i += 1) {
    const a = await direct(sshdPort);
    const b = await tunnel();
    const c = i % 3 === 0 ? await proxy() : undefined;
    if (i === 0) continue; // warm-up
    d.push(a);
    w.push(b);
    if (c !== undefined) p.push(c);
  }
  const opened = eice.tunnels.filter((x) => x.status === 101).length;
  if (opened !== rounds + 1 + Math.floor(rounds / 3) + 1) throw new BenchError(`the fake opened ${opened} tunnels; expected one per tunnel run`);
  console.log(`  sshd on 127.0.0.1:${sshdPort}; EICE fake ${eice.url} (presigned SigV4 checked); first byte = sshd's banner`);
  console.log(`  direct TCP (ms):                    ${list(d, (x) => x.toFixed(2))}`);
  console.log(`  EICE tunnel, in process (ms):       ${list(w, (x) => x.toFixed(2))}`);
  console.log(`  lkp ssh proxy --via eice (ms):      ${list(p, (x) => x.toFixed(1))}`);
  const base = median(d);
  const r = median(w) / base;
  const rp = median(p) / base;
  return [
    { measurement: '11a EICE tunnel, time to first byte', value: fmtMs(median(w)), baseline: `direct TCP ${fmtMs(base)}`, ratio: fmtX(r), target: '<= 1.5x', pass: shown(r) <= 1.5 },
    { measurement: '11b lkp ssh proxy --via eice (new process)', value: fmtMs(median(p)), baseline: `direct TCP ${fmtMs(base)}`, ratio: fmtX(rp), target: '(info)', pass: undefined },
  ];
};
