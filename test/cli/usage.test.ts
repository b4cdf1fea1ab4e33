// The command line as a person meets it: each command takes only its own options, help is
// reachable as -h, group commands show examples, and the usual slips get a useful hint.
import { describe, expect, it } from 'vitest';
import { lkp } from '../helpers/lkp.js';

const ARN = 'arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0';

describe('lkp usage', () => {
  it("fail/a command refuses another command's options (fast path and yargs path)", async () => {
    const fast = await lkp(['host', 'status', '--uninstall']);
    expect(fast.code).toBe(21);
    expect(fast.stderr).toMatch(/^lkp: UsageError: /);
    const slow = await lkp(['ssh', 'config', '--uninstall']);
    expect(slow.code).toBe(21);
    // yargs builds `host status` inside `host`: the parent's options must not leak into it.
    const help = await lkp(['host', 'status', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).not.toContain('--uninstall');
    expect(help.stdout).not.toContain('--join-token');
  });

  it('ok/-h is help, at the top and for a command', async () => {
    const top = await lkp(['-h']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Commands:');
    const sub = await lkp(['ssh', 'exec', '-h']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--instance-arn');
  });

  it('fail/no command: one hint to --help, not two', async () => {
    const r = await lkp([]);
    expect(r.code).toBe(21);
    expect(r.stderr.match(/lkp --help/g)?.length).toBe(1);
    const group = await lkp(['ssh']);
    expect(group.code).toBe(21);
    expect(group.stderr).toContain('lkp ssh exec|config|cert');
  });

  it('ok/group commands have examples', async () => {
    for (const group of ['ca', 'signer', 'ssh']) {
      const r = await lkp([group, '--help']);
      expect(r.code, group).toBe(0);
      expect(r.stdout, group).toContain('Examples:');
    }
  });

  it('fail/a remote command without -- gets a suggestion with --', async () => {
    const bare = await lkp(['ssh', 'exec', ARN, 'uptime']);
    expect(bare.code).toBe(21);
    expect(bare.stderr).toContain(`--instance-arn ${ARN} -- uptime`);
    const flagged = await lkp(['ssh', 'exec', '--instance-arn', ARN, 'uptime']);
    expect(flagged.code).toBe(21);
    expect(flagged.stderr).toContain(`--instance-arn ${ARN} -- uptime`);
  });
});
