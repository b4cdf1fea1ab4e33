// Shared set-up for the sshd tests: real keys and certificates from ssh-keygen in a temp
// directory, corpus cases copied there with @DIR@ replaced, and byte snapshots of a tree.
// Nothing here reads or writes the real /etc/ssh.
import { execa } from 'execa';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeLater } from '../helpers/temp.js';
import type { LkpSshdSettings } from '../../src/sshd/settings.js';

export const SSHD = '/usr/sbin/sshd';
export const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
const HOST_KEYS = ['ssh_host_ed25519_key', 'ssh_host_ecdsa_key', 'ssh_host_rsa_key'] as const;

/** Keys made once per test file: host keys, a CA, an lkp host cert (ed25519) and a pre-existing RSA host cert. */
export interface TestKeys {
  readonly dir: string;
}

/** A fresh temp directory (sshd needs /run/sshd to exist even for -t). */
export const makeTempDir = async (prefix: string): Promise<string> => {
  await mkdir('/run/sshd', { recursive: true });
  return removeLater(await mkdtemp(join(tmpdir(), prefix)));
};

const keygen = async (args: readonly string[]): Promise<void> => {
  await execa('ssh-keygen', ['-q', ...args], { stdin: 'ignore' });
};

/** Generate every key the corpus needs, in parallel. */
export const makeTestKeys = async (dir: string): Promise<TestKeys> => {
  await mkdir(dir, { recursive: true });
  await Promise.all([
    keygen(['-t', 'ed25519', '-N', '', '-f', join(dir, 'ssh_host_ed25519_key')]),
    keygen(['-t', 'ecdsa', '-b', '256', '-N', '', '-f', join(dir, 'ssh_host_ecdsa_key')]),
    keygen(['-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'ssh_host_rsa_key')]),
    keygen(['-t', 'ed25519', '-N', '', '-f', join(dir, 'host_ca')]),
    keygen(['-t', 'ed25519', '-N', '', '-f', join(dir, 'user_ca')]),
  ]);
  await Promise.all([
    keygen(['-s', join(dir, 'host_ca'), '-h', '-I', 'test', '-n', 'host', join(dir, 'ssh_host_ed25519_key.pub')]),
    keygen(['-s', join(dir, 'host_ca'), '-h', '-I', 'test-rsa', '-n', 'host', join(dir, 'ssh_host_rsa_key.pub')]),
  ]);
  return { dir };
};

/** lkp's settings for a case directory. */
export const lkpSettings = (dir: string): LkpSshdSettings => ({
  trustedUserCaKeys: join(dir, 'lkp', 'user-ca.pub'),
  authorizedPrincipalsFile: join(dir, 'lkp', 'principals', '%u'),
  hostCertificates: [join(dir, 'lkp', 'ssh_host_ed25519_key-cert.pub')],
});

/** Put host keys, the pre-existing RSA cert and lkp's files (CA, principals dir, host cert) into `dir`. */
export const installKeys = async (keys: TestKeys, dir: string): Promise<void> => {
  await mkdir(join(dir, 'lkp', 'principals'), { recursive: true });
  await mkdir(join(dir, 'sshd_config.d'), { recursive: true });
  for (const name of HOST_KEYS) {
    await copyFile(join(keys.dir, name), join(dir, name));
    await chmod(join(dir, name), 0o600);
    await copyFile(join(keys.dir, `${name}.pub`), join(dir, `${name}.pub`));
  }
  await copyFile(join(keys.dir, 'ssh_host_rsa_key-cert.pub'), join(dir, 'ssh_host_rsa_key-cert.pub'));
  await copyFile(join(keys.dir, 'ssh_host_ed25519_key-cert.pub'), join(dir, 'lkp', 'ssh_host_ed25519_key-cert.pub'));
  await copyFile(join(keys.dir, 'user_ca.pub'), join(dir, 'lkp', 'user-ca.pub'));
  await writeFile(join(dir, 'lkp', 'principals', 'ec2-user'), 'ec2-user\n');
};

const walk = async (root: string, dir = root): Promise<string[]> => {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(root, path)));
    else out.push(path);
  }
  return out;
};

/** Copy a corpus case into `dir`, replacing @DIR@ with `dir` (bytes kept: latin1). */
export const copyCorpusCase = async (name: string, dir: string): Promise<void> => {
  const source = join(CORPUS_DIR, name);
  for (const path of await walk(source)) {
    const rel = relative(source, path);
    if (rel === 'expect.json') continue;
    const target = join(dir, rel);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, (await readFile(path, 'latin1')).replaceAll('@DIR@', dir), 'latin1');
  }
};

/** Every file under `dir` with its bytes and mode, for before/after comparisons. */
export const snapshotTree = async (dir: string): Promise<Record<string, string>> => {
  const out: Record<string, string> = {};
  for (const path of (await walk(dir)).sort()) {
    const st = await stat(path);
    out[relative(dir, path)] = `${(st.mode & 0o7777).toString(8)}:${await readFile(path, 'latin1')}`;
  }
  return out;
};

/** Names of lkp temp files left under `dir`. */
export const leftoverTemps = async (dir: string): Promise<string[]> =>
  (await walk(dir)).filter((path) => /\.lkp-(?:tmp|check)-/.test(path));

/** `sshd -T -f CONFIG -C user=USER,host=h,addr=127.0.0.1,laddr=127.0.0.1,lport=22`: keyword -> values (lower-case keys). */
export const sshdEffective = async (
  configPath: string,
  user: string,
  extraArgs: readonly string[] = [],
): Promise<Map<string, string[]>> => {
  const result = await execa(SSHD, ['-T', '-f', configPath, '-C', `user=${user},host=h,addr=127.0.0.1,laddr=127.0.0.1,lport=22`, ...extraArgs], {
    stdin: 'ignore',
    reject: false,
  });
  if (result.exitCode !== 0) throw new Error(`sshd -T failed: ${result.stderr}`);
  const map = new Map<string, string[]>();
  for (const line of result.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const key = line.slice(0, space);
    map.set(key, [...(map.get(key) ?? []), line.slice(space + 1)]);
  }
  return map;
};

/** The -o HostKey=... arguments a config with no HostKey line needs so sshd never reads /etc/ssh. */
export const hostKeyArgs = (configText: string, dir: string): string[] =>
  /^[ \t]*hostkey[ \t=]/im.test(configText) ? [] : ['-o', `HostKey=${join(dir, 'ssh_host_ed25519_key')}`];
