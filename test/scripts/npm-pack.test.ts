// The npm distribution as a person installs it: the tarball `npm run pack:npm` makes
// (scripts/pack-npm.js), `npm install -g` of it into a temporary prefix, offline (the
// bundle carries every dependency, so the tarball declares none) and without warnings,
// then the installed `lkp` runs and `lkp ssh config --install` writes the installed
// command into ~/.ssh/config, not this checkout's paths.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
}

const run = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) =>
    execFile(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
    ),
  );

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

describe('npm package', () => {
  const dir = tempDir('lkp-npm-');
  const prefix = path.join(dir, 'prefix dir'); // a space: the installed command is quoted in the ssh config
  const installed = path.join(prefix, 'bin', 'lkp');
  let pack: PackResult;
  let installWarnings: string;

  beforeAll(async () => {
    if (!existsSync('dist/bundle/main.mjs')) throw new Error('dist/bundle/main.mjs is missing: run npm run build first');
    // The script without its `npm run build`: pack what the suite's build made (rebuilding
    // dist/ would pull it from under the tests running beside this one).
    const packed = await run(process.execPath, ['scripts/pack-npm.js', '--dest', dir, '--json']);
    expect(packed.code, packed.stderr).toBe(0);
    pack = (JSON.parse(packed.stdout) as PackResult[])[0] as PackResult;
    const install = await run('npm', ['install', '-g', path.join(dir, pack.filename), '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--no-update-notifier'], {
      env: { npm_config_cache: path.join(dir, 'npm-cache') }, // an empty cache: nothing may come from anywhere
    });
    expect(install.code, install.stderr).toBe(0);
    installWarnings = install.stderr;
  }, 180_000);

  it('ok/the tarball holds only runtime files: the launcher, the bundle it runs, docs (any file under docs/), README', () => {
    const files = pack.files.map((f) => f.path);
    expect(files).toContain('bin/lkp.js');
    expect(files).toContain('dist/bundle/main.mjs');
    expect(files).toContain('README.md');
    const stray = files.filter((f) => !/^(bin\/lkp\.js|bin\/package\.json|dist\/bundle\/[\w.-]+\.[cm]js|docs\/.+|README\.md|LICENSE|package\.json)$/.test(f));
    expect(stray).toEqual([]);
    const manifest = JSON.parse(readFileSync(path.join(prefix, 'lib', 'node_modules', 'lkp', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined(); // the bundle needs none, so an offline install works
    expect(manifest.scripts).toBeUndefined(); // nothing for npm to flag, or run, at install time
    expect(installWarnings).not.toMatch(/warn/i);
    expect(existsSync(path.join(dir, 'npm-stage'))).toBe(false);
  });

  it('ok/the installed lkp is on PATH and starts', async () => {
    const r = await run(installed, ['--version'], { env: { PATH: `${path.dirname(installed)}${path.delimiter}${process.env.PATH ?? ''}` } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(version);
    const help = await run('lkp', ['ssh', '--help'], { env: { PATH: `${path.dirname(installed)}${path.delimiter}${process.env.PATH ?? ''}` } });
    expect(help.stdout).toContain('Examples:');
  });

  it('ok/lkp ssh config --install from the install writes the installed command, on PATH or not', async () => {
    for (const onPath of [true, false]) {
      const home = tempDir('lkp-npm-home-');
      const env = { HOME: home, LKP_HOME: '', LKP_CONFIG: '', PATH: onPath ? `${path.dirname(installed)}${path.delimiter}${process.env.PATH ?? ''}` : (process.env.PATH ?? '') };
      const r = await run(installed, ['ssh', 'config', '--install'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const text = readFileSync(path.join(home, '.ssh', 'config'), 'utf8');
      expect(text).toContain(`exec "'${installed}' ssh prepare --host '%h' --user '%r'"`);
      expect(text).toContain(`ProxyCommand '${installed}' ssh proxy --host %h --port %p`);
      expect(text).not.toContain(process.cwd());
      expect(text).not.toContain(process.execPath);
    }
  });
});
