// `sshd -t` as a typed answer. sshd -t exits 0 even when a HostCertificate cannot be used
// (OpenSSH 9.2 only prints a line), so its output is read too: a certificate lkp configured
// that sshd will not load is a failed change, not a success.
import { LkpError } from '../errors.js';
import { processRunner, type CommandResult, type CommandRunner } from './runner.js';

/** Where Debian, Ubuntu, Amazon Linux and RHEL install sshd. */
export const DEFAULT_SSHD_PATH = '/usr/sbin/sshd';

/** Output of `sshd -t` that means the configuration must not go live, though sshd exited 0 (checked on OpenSSH 9.2p1). */
export const SSHD_FAILURE_PATTERNS: readonly RegExp[] = [
  /could not load host certificate/i, // missing or unreadable file: `Could not load host certificate "PATH": REASON`
  /certificate file is not a certificate/i, // a plain public key given as HostCertificate
  /no matching private key for certificate/i, // certificate for a key that is not a HostKey
  /bad configuration option/i, // also exits non-zero; kept for runners that lose the exit code
];

/** The verdict on one configuration. `output` is sshd's own text (stderr then stdout). */
export interface SshdValidation {
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly output: string;
  /** Lines that made the verdict a failure (or a summary when sshd gave none). */
  readonly problems: readonly string[];
  /** Other lines sshd printed (e.g. `Unable to load host key: ...` for one of several keys). */
  readonly warnings: readonly string[];
}

/** Check one configuration file; injected into apply so tests can stub it. */
export type SshdValidator = (configPath: string) => Promise<SshdValidation>;

/** Read sshd -t's result: a non-zero exit or a failure line fails; other lines are warnings. */
export const interpretSshdTest = (result: CommandResult, sshdPath: string = DEFAULT_SSHD_PATH): SshdValidation => {
  const output = [result.stderr, result.stdout].filter((text) => text !== '').join('\n');
  const lines = output.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const problems = lines.filter((line) => SSHD_FAILURE_PATTERNS.some((pattern) => pattern.test(line)));
  if (result.notFound) problems.push(`${sshdPath} not found: cannot validate the sshd configuration`);
  else if (result.exitCode !== 0 && problems.length === 0) {
    // A failing exit without a known line: everything sshd said is the reason.
    problems.push(...(lines.length > 0 ? lines : [`sshd -t exited with ${result.exitCode ?? 'a signal'}`]));
  }
  const warnings = lines.filter((line) => !problems.includes(line));
  return { ok: problems.length === 0, exitCode: result.exitCode, output, problems, warnings };
};

/** Options for one `sshd -t -f CONFIG` run. */
export interface ValidateSshdOptions {
  readonly configPath: string;
  readonly sshdPath?: string;
  /** Extra arguments, e.g. ['-o', 'StrictModes=no']; passed as separate argv entries. */
  readonly extraArgs?: readonly string[];
  readonly run?: CommandRunner;
}

/** Run `sshd -t -f CONFIG` (no shell) and read its verdict. */
export const validateSshdConfig = async (options: ValidateSshdOptions): Promise<SshdValidation> => {
  const sshdPath = options.sshdPath ?? DEFAULT_SSHD_PATH;
  const run = options.run ?? processRunner;
  const result = await run(sshdPath, ['-t', '-f', options.configPath, ...(options.extraArgs ?? [])]);
  return interpretSshdTest(result, sshdPath);
};

/** A validator bound to one sshd binary, in the shape applySshdChange takes. */
export const sshdValidator =
  (options: Omit<ValidateSshdOptions, 'configPath'> = {}): SshdValidator =>
  (configPath) =>
    validateSshdConfig({ ...options, configPath });

/** Throw SshdConfigInvalid with sshd's own words when a validation failed. */
export const assertSshdValid = (validation: SshdValidation, what: string): void => {
  if (!validation.ok) {
    throw new LkpError('SshdConfigInvalid', `sshd rejected ${what}: ${validation.problems.join('; ')}`);
  }
};
