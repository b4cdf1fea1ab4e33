import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseFast } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/main.js';
import { sshExec } from '../../src/cli/commands/ssh.js';
import { hostCommand, hostStatusCommand } from '../../src/cli/commands/host.js';

const ARN = 'arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0';

describe('fast argument parsing', () => {
  it('ok/parses the hot commands from the same declarations yargs uses', () => {
    const a = parseFast(['ssh', 'exec', '--instance-arn', ARN, '--user', 'ubuntu', '--port=2222', '--jump', 'x', '--jump', 'y', '--', '-v', 'a b', '--help'], sshExec, parseArgs);
    expect(a).toMatchObject({ 'instance-arn': ARN, user: 'ubuntu', port: 2222, jump: ['x', 'y'], agent: false, 'dry-run': false, public: false });
    expect(a?.['--']).toEqual(['-v', 'a b', '--help']);
    expect(parseFast(['host', '--no-reload', '--users', 'a', '--users', 'b'], hostCommand, parseArgs)).toMatchObject({ reload: false, users: ['a', 'b'], 'ssh-dir': '/etc/ssh' });
    expect(parseFast(['host', 'status'], hostStatusCommand, parseArgs)).toMatchObject({ 'ssh-dir': '/etc/ssh' });
  });
  it('fail/anything unclear goes to yargs (help, missing or bad values, conflicts, other commands)', () => {
    for (const argv of [
      ['ssh', 'exec', '--instance-arn', ARN, '--help'],
      ['ssh', 'exec'],
      ['ssh', 'exec', '--instance-arn', ARN, '--port', 'ssh'],
      ['ssh', 'exec', '--instance-arn', ARN, '--public', '--address', '10.0.0.1'],
      ['ssh', 'config', '--install'],
      ['ssh', 'exec', '--instance-arn', ARN, '--no-agent', '--agent'],
      ['ssh', 'exec', '--instance-arn', ARN, '--user', 'a', '--user', 'b'],
      ['ssh', 'exec', '--instance-arn', ARN, '--port='],
      ['ssh', 'exec', '--instance-arn', ARN, '--port', '0x16'],
    ]) {
      expect(parseFast(argv, sshExec, parseArgs), argv.join(' ')).toBeUndefined();
    }
    expect(parseFast(['host', 'status'], hostCommand, parseArgs)).toBeUndefined();
    expect(parseFast(['host', '--no-dry-run', '--dry-run'], hostCommand, parseArgs)).toBeUndefined();
    // `--users a b` (unquoted $LKP_USERS in user data) is yargs' array syntax, not a stray word.
    expect(parseFast(['host', '--users', 'a', 'b', '--no-reload'], hostCommand, parseArgs)).toBeUndefined();
  });
  it("fail/an option of another command or a stray word is a UsageError on the fast path too", () => {
    for (const [argv, def] of [
      [['ssh', 'exec', '--instance-arn', ARN, '--bogus'], sshExec],
      [['ssh', 'exec', '--instance-arn', ARN, 'stray-positional'], sshExec],
      [['host', 'status', '--uninstall'], hostStatusCommand],
      [['host', '--install'], hostCommand],
    ] as const) {
      expect(() => parseFast(argv, def, parseArgs), argv.join(' ')).toThrow(expect.objectContaining({ code: 'UsageError' }));
    }
  });
  it('ok/every command has a description or is an internal helper, and examples where public', () => {
    for (const c of COMMANDS) {
      if (c.describe === false) continue;
      expect(c.examples?.length, c.path.join(' ')).toBeGreaterThan(0);
    }
  });
});
