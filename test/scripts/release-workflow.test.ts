// The release workflow cannot run here (it needs GitHub's x64 and arm64 runners), so it is
// checked as data: it parses as YAML (PyYAML, installed with cfn-lint), each architecture
// has its own job on its own runner with the documented steps, every shell script parses,
// every expression names a known context, and every npm script it runs exists.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const FILE = '.github/workflows/release.yml';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'runs-on': string;
  needs?: string[];
  strategy?: { matrix: { include: Array<Record<string, string>> } };
  steps: Step[];
}
interface Workflow {
  name: string;
  jobs: Record<string, Job>;
  // PyYAML reads YAML 1.1, where a bare `on` key is the boolean true.
  on?: Record<string, unknown>;
  true?: Record<string, unknown>;
}

const load = (): Workflow =>
  JSON.parse(execFileSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', FILE], { encoding: 'utf8' })) as Workflow;

describe('release workflow', () => {
  const wf = load();
  const jobs = Object.entries(wf.jobs);

  it('ok/one binary job per architecture, each on its own runner, node 20, npm ci, build:binary, artifact + checksum', () => {
    expect(Object.keys(wf.on ?? wf.true ?? {})).toEqual(expect.arrayContaining(['push', 'workflow_dispatch']));
    const binary = wf.jobs.binary as Job;
    expect(binary['runs-on']).toBe('${{ matrix.runner }}');
    expect(binary.strategy?.matrix.include).toEqual([
      { arch: 'x64', runner: 'ubuntu-24.04' },
      { arch: 'arm64', runner: 'ubuntu-24.04-arm' },
    ]);
    const runs = binary.steps.map((s) => s.run ?? '');
    const uses = binary.steps.map((s) => s.uses ?? '');
    const order = (pred: (i: number) => boolean) => binary.steps.findIndex((_, i) => pred(i));
    const checkout = order((i) => uses[i]?.startsWith('actions/checkout@') ?? false);
    const setup = order((i) => uses[i]?.startsWith('actions/setup-node@') ?? false);
    const ci = order((i) => runs[i]?.trim() === 'npm ci');
    const build = order((i) => runs[i]?.trim() === 'npm run build:binary');
    const checksum = order((i) => /sha256sum "\$out" > "\$out\.sha256"/.test(runs[i] ?? ''));
    const upload = order((i) => uses[i]?.startsWith('actions/upload-artifact@') ?? false);
    expect([checkout, setup, ci, build, checksum, upload].every((i) => i >= 0)).toBe(true);
    expect([checkout, setup, ci, build, checksum, upload]).toEqual([...[checkout, setup, ci, build, checksum, upload]].sort((a, b) => a - b));
    expect(String(binary.steps[setup]?.with?.['node-version'])).toBe('20');
    const path = String(binary.steps[upload]?.with?.path);
    expect(path).toContain('release/lkp-linux-${{ matrix.arch }}\n');
    expect(path).toContain('release/lkp-linux-${{ matrix.arch }}.sha256');
  });

  it('ok/every shell script parses, every action is pinned to a version, every expression names a known context', () => {
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const [name, job] of jobs) {
      for (const need of job.needs ?? []) expect(Object.keys(wf.jobs), `${name} needs ${need}`).toContain(need);
      for (const step of job.steps) {
        if (step.uses) expect(step.uses, name).toMatch(/^[\w-]+\/[\w-]+@(v\d+|[0-9a-f]{40})$/);
        if (step.run) {
          // Expressions are substituted before the shell sees the script: stand in a word.
          execFileSync('bash', ['-n'], { input: step.run.replace(/\$\{\{[^}]*\}\}/g, 'X') });
          for (const m of step.run.matchAll(/npm run ([\w:-]+)/g)) expect(Object.keys(scripts), step.run).toContain(m[1]);
        }
      }
    }
    const text = readFileSync(FILE, 'utf8');
    const contexts = [...text.matchAll(/\$\{\{\s*([a-z]+)\./g)].map((m) => m[1]);
    expect(contexts.length).toBeGreaterThan(3);
    for (const c of contexts) expect(['matrix', 'github', 'env', 'steps', 'runner', 'needs', 'secrets']).toContain(c);
    expect(text).not.toMatch(/\t/);
  });
});
