#!/usr/bin/env node
// `npm run demo`: the whole lkp story on one machine, on loopback, with the embedded
// signer: a CA, `lkp signer serve`, `lkp host --join-token` into a sandbox ssh dir, a real
// sshd started from the configuration lkp wrote, and a login with a user certificate,
// the host verified by its certificate (never trust-on-first-use). Printed step by step.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ensureOpenSsh } from './ensure-openssh.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const LKP = [path.join(root, 'bin/lkp.js')];
const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd'].find(existsSync) ?? 'sshd';
const children = [];
let step = 0;

// Bold step titles on a terminal only: piped or logged output stays plain text.
const bold = process.stdout.isTTY && !process.env.NO_COLOR ? (t) => `\x1b[1m${t}\x1b[0m` : (t) => t;
const title = (text) => console.log(`\n${bold(`${++step}. ${text}`)}`);
const show = (cmd, args) => console.log(`   $ ${[cmd, ...args].map((a) => (/[\s"$]/.test(a) ? `'${a}'` : a)).join(' ')}`);
const indent = (text) => text.trimEnd().split('\n').map((l) => `     ${l}`).join('\n');
const run = (cmd, args, opts = {}) => {
  show(opts.display ?? cmd, opts.displayArgs ?? args);
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...opts.env } });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (out.trim() && !opts.quiet) console.log(indent(out));
  if (r.status !== (opts.expect ?? 0)) {
    console.error(`\ndemo failed: ${cmd} exited ${r.status} (expected ${opts.expect ?? 0})`);
    cleanup();
    process.exit(1);
  }
  return r.stdout ?? '';
};
const lkp = (args, opts = {}) => run(process.execPath, [...LKP, ...args], { ...opts, display: 'lkp', displayArgs: opts.displayArgs ?? args });
const freePort = () => new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
const waitPort = async (port) => { for (let i = 0; i < 200; i += 1) { if (await new Promise((r) => { const c = net.connect(port, '127.0.0.1', () => { c.destroy(); r(true); }); c.on('error', () => r(false)); })) return; await new Promise((r) => setTimeout(r, 25)); } throw new Error(`nothing listens on ${port}`); };
let work = '';
// Stop what the demo started and remove its folder (it holds CA private keys), on any exit.
const cleanup = () => {
  for (const c of children) c.kill('SIGTERM');
  if (work) rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanup);

ensureOpenSsh();
if (!existsSync(path.join(root, 'dist/cli/main.js'))) execFileSync('npx', ['tsc', '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });

work = mkdtempSync(path.join(os.tmpdir(), 'lkp-demo-'));
const login = os.userInfo().username;
console.log(`lkp demo in ${work} (everything stays on 127.0.0.1; login: ${login})`);

title('Create a CA: host and user CA keys, a join-token key and a starter signer config');
lkp(['ca', 'init', '--dir', path.join(work, 'ca')]);

title('Start the embedded signer: the Lambda Invoke API on loopback');
const signerPort = await freePort();
show('lkp', ['signer', 'serve', '--config', `${work}/ca/signer.json`, '--listen', `127.0.0.1:${signerPort}`, '&']);
const signer = spawn(process.execPath, [...LKP, 'signer', 'serve', '--config', path.join(work, 'ca/signer.json'), '--listen', `127.0.0.1:${signerPort}`], { stdio: ['ignore', 'pipe', 'inherit'] });
children.push(signer);
let audit = '';
signer.stdout.on('data', (d) => (audit += d.toString()));
await waitPort(signerPort);
const env = { AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${signerPort}` };
console.log(`     AWS_ENDPOINT_URL_LAMBDA=${env.AWS_ENDPOINT_URL_LAMBDA} (the real AWS SDK Lambda client talks to it)`);

title('Prepare a sandbox "host": host keys and a stock sshd_config (with a Match block)');
const sshDir = path.join(work, 'host/etc/ssh');
mkdirSync(sshDir, { recursive: true });
for (const t of ['ed25519', 'ecdsa']) execFileSync('ssh-keygen', ['-q', '-t', t, '-N', '', '-C', 'demo-host', '-f', path.join(sshDir, `ssh_host_${t}_key`)]);
const sshPort = await freePort();
writeFileSync(
  path.join(sshDir, 'sshd_config'),
  [
    '# A sandbox sshd: loopback only, files under /tmp (hence StrictModes no).',
    `ListenAddress 127.0.0.1`,
    `Port ${sshPort}`,
    `HostKey ${sshDir}/ssh_host_ed25519_key`,
    `HostKey ${sshDir}/ssh_host_ecdsa_key`,
    `PidFile ${work}/host/sshd.pid`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'AuthorizedKeysFile none',
    'PermitRootLogin prohibit-password',
    'Match User nobody',
    '    X11Forwarding no',
    '',
  ].join('\n'),
);
console.log(indent(`${sshDir}: ssh_host_ed25519_key, ssh_host_ecdsa_key, sshd_config (port ${sshPort})`));

title('An operator mints a single-use host join token (10 minutes, bound to the name demo-host)');
const hostToken = lkp(['signer', 'token', 'create', '--config', path.join(work, 'ca/signer.json'), '--principal', 'demo-host', '--principal', 'localhost'], { quiet: true }).trim();
console.log(indent(`${hostToken.slice(0, 40)}… (not shown in full: it is a credential)`));

title('lkp host: certificates for every host key, then sshd configured (validated, renamed)');
lkp(['host', '--join-token', hostToken, '--ssh-dir', sshDir, '--users', login, '--no-reload'], { env, displayArgs: ['host', '--join-token', '$TOKEN', '--ssh-dir', sshDir, '--users', login, '--no-reload'] });
run('ssh-keygen', ['-L', '-f', path.join(sshDir, 'lkp/ssh_host_ed25519_key-cert.pub')]);
console.log(indent(`sshd_config now starts with:\n${readFileSync(path.join(sshDir, 'sshd_config'), 'utf8').split('\n').slice(0, 7).join('\n')}`));

title('A second run is idempotent: the sshd configuration does not change');
const before = readFileSync(path.join(sshDir, 'sshd_config'));
const again = lkp(['signer', 'token', 'create', '--config', path.join(work, 'ca/signer.json'), '--principal', 'demo-host', '--principal', 'localhost'], { quiet: true }).trim();
lkp(['host', '--join-token', again, '--ssh-dir', sshDir, '--users', login, '--no-reload'], { env, quiet: true, displayArgs: ['host', '--join-token', '$TOKEN2', '--ssh-dir', sshDir, '--users', login, '--no-reload'] });
console.log(indent(before.equals(readFileSync(path.join(sshDir, 'sshd_config'))) ? 'sshd_config: byte for byte the same' : 'sshd_config CHANGED (unexpected)'));

title('Start a real sshd from the configuration lkp wrote');
mkdirSync('/run/sshd', { recursive: true });
show(SSHD, ['-D', '-e', '-f', `${sshDir}/sshd_config`]);
const sshd = spawn(SSHD, ['-D', '-e', '-f', path.join(sshDir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
children.push(sshd);
let sshdLog = '';
sshd.stderr.on('data', (d) => (sshdLog += d.toString()));
await waitPort(sshPort);
console.log(indent(`sshd listening on 127.0.0.1:${sshPort}`));

title(`A person gets a short-lived user certificate for ${login}@demo-host (a user join token here; on AWS, their IAM identity)`);
const userToken = lkp(['signer', 'token', 'create', '--config', path.join(work, 'ca/signer.json'), '--for', 'user', '--principal', `${login}@demo-host`], { quiet: true }).trim();
const identity = path.join(work, 'laptop/id_ed25519');
lkp(['ssh', 'cert', '--join-token', userToken, '--target', 'demo-host', '--user', login, '--identity', identity], { env, displayArgs: ['ssh', 'cert', '--join-token', '$USER_TOKEN', '--target', 'demo-host', '--user', login, '--identity', identity] });
run('ssh-keygen', ['-L', '-f', `${identity}-cert.pub`]);

title('Log in: the host is verified by its certificate (@cert-authority, StrictHostKeyChecking=yes)');
const knownHosts = path.join(work, 'laptop/known_hosts');
writeFileSync(knownHosts, `@cert-authority demo-host ${readFileSync(path.join(work, 'ca/host_ca.pub'), 'utf8')}`);
const sshArgs = (id, alias = 'demo-host', kh = knownHosts) => ['-F', '/dev/null', '-i', id, '-o', 'IdentitiesOnly=yes', '-o', `CertificateFile=${id}-cert.pub`, '-o', `UserKnownHostsFile=${kh}`, '-o', 'StrictHostKeyChecking=yes', '-o', `HostKeyAlias=${alias}`, '-o', 'BatchMode=yes', '-p', String(sshPort)];
run('ssh', [...sshArgs(identity), `${login}@127.0.0.1`, 'echo "hello from $(hostname) as $(whoami)"']);

title('And what must fail, fails');
console.log('   a certificate for another host (other-host) is refused by sshd:');
const otherToken = lkp(['signer', 'token', 'create', '--config', path.join(work, 'ca/signer.json'), '--for', 'user', '--principal', `${login}@other-host`], { quiet: true }).trim();
const otherId = path.join(work, 'laptop/other_ed25519');
lkp(['ssh', 'cert', '--join-token', otherToken, '--target', 'other-host', '--user', login, '--identity', otherId], { env, quiet: true, displayArgs: ['ssh', 'cert', '--join-token', '$T', '--target', 'other-host', '--user', login, '--identity', otherId] });
run('ssh', [...sshArgs(otherId), `${login}@127.0.0.1`, 'true'], { expect: 255 });
// The same request again (a client retry) would get a fresh certificate for the same key;
// anyone else's key is refused.
console.log('   a spent token replayed with someone else\'s key is refused by the signer:');
lkp(['ssh', 'cert', '--join-token', userToken, '--target', 'demo-host', '--user', login, '--identity', otherId], { env, expect: 3, displayArgs: ['ssh', 'cert', '--join-token', '$USER_TOKEN', '--target', 'demo-host', '--user', login, '--identity', otherId] });
console.log('   a host whose certificate is not from our host CA is refused, with no prompt:');
const rogueKh = path.join(work, 'laptop/known_hosts_rogue');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(work, 'rogue_ca')]);
writeFileSync(rogueKh, `@cert-authority demo-host ${readFileSync(path.join(work, 'rogue_ca.pub'), 'utf8')}`);
run('ssh', [...sshArgs(identity, 'demo-host', rogueKh), `${login}@127.0.0.1`, 'true'], { expect: 255 });

title('Revoke that certificate: the host refreshes its revocation list (KRL), and the same login is refused');
const serial = /Serial: (\d+)/.exec(execFileSync('ssh-keygen', ['-L', '-f', `${identity}-cert.pub`], { encoding: 'utf8' }))?.[1] ?? '';
const revokedAt = Date.now();
lkp(['signer', 'revoke', '--config', path.join(work, 'ca/signer.json'), '--serial', serial, '--ca', 'user', '--reason', 'demo: laptop lost']);
// On a host, lkp-host-krl.timer runs this every 5 minutes (plus up to 2 of jitter).
lkp(['host', 'refresh-krl', '--ssh-dir', sshDir], { env });
run('ssh', [...sshArgs(identity), `${login}@127.0.0.1`, 'true'], { expect: 255 });
console.log(indent(`revoked -> refused in ${Date.now() - revokedAt} ms (sshd reads ${path.join(sshDir, 'lkp/revoked_keys')} on every login; no reload)`));

title('The signer wrote one audit line per decision (no tokens, no keys)');
await new Promise((r) => setTimeout(r, 300)); // let the signer's pipe drain (the steps above ran synchronously)
// issued: what was signed; denied/error: why; answered (ca-keys): nothing more to say.
const detail = (a) =>
  a.outcome === 'issued' ? `principals=${(a.principals ?? []).join(',')} serial=${(a.serials ?? [])[0] ?? '-'}` : a.code ? `${a.code}: ${a.reason ?? ''}` : '';
console.log(indent(audit.split('\n').filter(Boolean).map((l) => { const a = JSON.parse(l); return `${a.outcome.padEnd(8)} ${a.action.padEnd(9)} ${(a.caller ?? '-').padEnd(48)} ${detail(a)}`.trimEnd(); }).join('\n')));

cleanup();
console.log('\ndemo complete: CA -> signer -> lkp host -> sshd -> login with a certificate. Next: npm test');
