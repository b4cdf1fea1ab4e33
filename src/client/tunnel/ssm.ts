// `--via ssm`: delegate to the official path. ssh's ProxyCommand is AWS's documented one
// (Session Manager, "Allow and control permissions for SSH connections through Session
// Manager"): the AWS CLI with the Session Manager plugin and the AWS-StartSSHSession document.
import { spawn } from 'node:child_process';
import { LkpError } from '../../errors.js';
import { findOnPath } from '../../cli/self.js';

/** The ProxyCommand exactly as AWS documents it (%h the instance id, %p the port). */
export const SSM_PROXY_COMMAND = 'aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p';

/** The same command as an argv, for the transparent mode's proxy (which runs it itself). */
export const ssmArgv = (instanceId: string, port: number): string[] => ['ssm', 'start-session', '--target', instanceId, '--document-name', 'AWS-StartSSHSession', '--parameters', `portNumber=${port}`];

const AWS_CLI_INSTALL = 'https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html';
const PLUGIN_INSTALL = 'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html';

/** ToolMissing, naming exactly what to install, when `aws` or `session-manager-plugin` is not on PATH. */
export const checkSsmTools = (env: NodeJS.ProcessEnv = process.env): void => {
  const missing: string[] = [];
  if (!findOnPath('aws', env)) missing.push(`the AWS CLI v2 (\`aws\`; ${AWS_CLI_INSTALL})`);
  if (!findOnPath('session-manager-plugin', env)) missing.push(`the Session Manager plugin for the AWS CLI (\`session-manager-plugin\`; ${PLUGIN_INSTALL})`);
  if (missing.length > 0) throw new LkpError('ToolMissing', `--via ssm runs \`${SSM_PROXY_COMMAND}\` and needs ${missing.join(' and ')} on PATH; install ${missing.length > 1 ? 'them' : 'it'}, or choose another transport (--via eice | direct)`);
};

/** The environment the AWS CLI needs to reach the instance's region with the signer profile's credentials. */
export const ssmEnv = (region: string, profile: string | undefined): Record<string, string> => ({ AWS_REGION: region, AWS_DEFAULT_REGION: region, ...(profile ? { AWS_PROFILE: profile } : {}) });

/** Runs the documented command with ssh's stdin/stdout (the transparent mode's proxy); resolves with its exit code. */
export const runSsmProxy = (instanceId: string, port: number, region: string, profile: string | undefined): Promise<number> => {
  checkSsmTools();
  return new Promise((resolve, reject) => {
    const child = spawn('aws', ssmArgv(instanceId, port), { stdio: 'inherit', env: { ...process.env, ...ssmEnv(region, profile) } });
    child.on('error', (error: NodeJS.ErrnoException) => reject(new LkpError('ToolMissing', `cannot run aws: ${error.code ?? error.message}`)));
    child.on('exit', (code) => resolve(code ?? 255));
  });
};
