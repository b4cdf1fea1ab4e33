// Bench section 10, "transparent": plain `ssh LOGIN@i-… true` through the ssh config that
// `lkp ssh config --install` wrote, with a cached certificate, against a loopback sshd set
// up by `lkp host`, versus plain ssh given the same key, certificate, known_hosts and
// address by hand. Interleaved, the same number of connections each; the lkp on PATH is a
// wrapper that logs each start, so the lkp processes per cached connection are counted.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BenchError, fmtMs, fmtX, list, median, mustSucceed, shown, timedSpawn } from './lib.js';

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/**
 * @param {{ node: string, lkpBin: string, dir: string, login: string, instanceId: string,
 *   sshdConfig: string, env: NodeJS.ProcessEnv, connections: number,
 *   cleanups: Array<() => unknown> }} o
 *   env: the person's environment (signer, EC2, STS endpoints and credentials).
 */
export const benchTransparent = async (o) => {
  const sshd = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => existsSync(p));
  if (!sshd) throw new BenchError('sshd is not installed');
  mkdirSync('/run/sshd', { recursive: true });
  const port = await freePort();
  const child = spawn(sshd, ['-D', '-e', '-f', o.sshdConfig, '-p', String(port), '-o', 'ListenAddress=127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  o.cleanups.push(() => child.kill('SIGTERM'));
  let sshdErr = '';
  child.stderr.on('data', (d) => (sshdErr += d.toString()));
  for (let i = 0; i < 100 && !/Server listening/.test(sshdErr); i += 1) await new Promise((r) => setTimeout(r, 20));
  if (!/Server listening/.test(sshdErr)) throw new BenchError(`sshd did not start: ${sshdErr.slice(0, 400)}`);

  const home = path.join(o.dir, 'user home');
  const bin = path.join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  const calls = path.join(home, 'lkp-calls.log');
  writeFileSync(path.join(bin, 'lkp'), `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${o.node}' '${o.lkpBin}' "$@"\n`, { mode: 0o755 });
  const env = { ...o.env, HOME: home, LKP_HOME: path.join(home, '.lkp'), PATH: `${bin}:${process.env.PATH}` };
  const sshConfig = path.join(home, '.ssh', 'config');
  mustSucceed(await timedSpawn(path.join(bin, 'lkp'), ['ssh', 'config', '--install'], { env }), 'lkp ssh config --install');
  const dest = `${o.login}@${o.instanceId}`;
  const viaConfig = ['-F', sshConfig, '-o', 'BatchMode=yes', '-p', String(port), dest, 'true'];
  // The first connection obtains the certificate (not timed).
  mustSucceed(await timedSpawn('ssh', viaConfig, { env, timeoutMs: 30_000 }), 'ssh through the lkp config (first connection)');
  // The same settings by hand, as ssh resolved them for this host.
  const g = new Map(
    execFileSync('ssh', ['-G', ...viaConfig.slice(0, -2), dest], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\n')
      .map((l) => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1)]),
  );
  const by = (k) => {
    const v = g.get(k);
    if (!v) throw new BenchError(`ssh -G shows no ${k} for ${dest}: the cached path is not in use`);
    return v;
  };
  const byHand = ['-F', '/dev/null', '-o', 'BatchMode=yes', '-i', by('identityfile'), '-o', `CertificateFile="${by('certificatefile')}"`, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile="${by('userknownhostsfile')}"`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes', '-o', `HostKeyAlias=${by('hostkeyalias')}`, '-p', String(port), `${o.login}@${by('hostname')}`, 'true'];
  writeFileSync(calls, '');
  const plain = [];
  const through = [];
  for (let i = 0; i <= o.connections; i += 1) {
    const p = mustSucceed(await timedSpawn('ssh', byHand, { env, timeoutMs: 30_000 }), 'plain ssh (by hand)');
    const t = mustSucceed(await timedSpawn('ssh', viaConfig, { env, timeoutMs: 30_000 }), 'ssh through the lkp config');
    if (i === 0) continue;
    plain.push(p.ms);
    through.push(t.ms);
  }
  const lkpRuns = readFileSync(calls, 'utf8').split('\n').filter(Boolean).length;
  console.log(`  ${o.connections} connections each, interleaved; sshd on 127.0.0.1:${port} configured by lkp host; ssh ${dest} true`);
  console.log(`  plain ssh, by hand (ms):            ${list(plain, (x) => x.toFixed(1))}`);
  console.log(`  through the lkp config (ms):        ${list(through, (x) => x.toFixed(1))}`);
  console.log(`  lkp processes started by those ${o.connections + 1} cached connections: ${lkpRuns}`);
  const ratio = median(through) / median(plain);
  return [
    { measurement: '10 transparent ssh, cached certificate', value: fmtMs(median(through)), baseline: `plain ssh ${fmtMs(median(plain))}`, ratio: fmtX(ratio), target: '<= 1.3x', pass: shown(ratio) <= 1.3 },
    { measurement: "10' lkp processes per cached connection", value: (lkpRuns / (o.connections + 1)).toFixed(2), baseline: `${o.connections + 1} connections`, ratio: `${lkpRuns} lkp starts`, target: '(info: at most 1)', pass: undefined },
  ];
};
