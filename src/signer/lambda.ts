// The AWS Lambda entry point (`index.handler` in the bundle). Builds the signer once per
// container from its config (a file shipped in the bundle, or an SSM parameter) and
// hands every invocation to the same handler `lkp signer serve` uses.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeError, LkpError } from '../errors.js';
import { loadSignerConfig, type SignerConfig } from './config.js';
import type { SignerHandler } from './handle.js';
import { assembleSigner } from './assemble.js';
import { lambdaConfigProblem } from './lambda-config.js';

interface LambdaContext {
  readonly awsRequestId?: string;
}

const here = (): string => {
  try {
    return path.dirname(fileURLToPath(import.meta.url));
  } catch {
    return process.cwd();
  }
};

const checked = (config: SignerConfig): Promise<SignerHandler> => {
  const problem = lambdaConfigProblem(config);
  if (problem) throw new LkpError('ConfigInvalid', problem);
  return assembleSigner(config);
};

/**
 * The signer from LKP_CONFIG_SSM_PARAMETER (read again in the background by the first
 * request 60 s after the last read, so a CA rotation step reaches a busy container within
 * a minute and an idle one at its next requests), LKP_CONFIG_FILE, or signer.json in the bundle.
 */
const loadSigner = async (): Promise<SignerHandler> => {
  const parameter = process.env.LKP_CONFIG_SSM_PARAMETER;
  if (parameter) {
    const { fetchSsmParameter } = await import('../aws/ssm-parameter.js');
    const { followConfigText } = await import('./follow-config.js');
    const followed = await followConfigText(() => fetchSsmParameter(parameter, process.env.AWS_REGION ?? 'us-east-1'), `ssm:${parameter}`, checked, {
      // A config that does not load leaves the previous one answering; the log says why.
      onReload: (event) => (event.ok ? console.log(`lkp signer: config reloaded from SSM parameter ${parameter}`) : console.error(`lkp signer: SSM parameter ${parameter} not reloaded, the previous config stays: ${describeError(event.error)}`)),
    });
    return followed.handler;
  }
  const file = process.env.LKP_CONFIG_FILE ?? path.join(here(), 'signer.json');
  if (!existsSync(file)) throw new LkpError('ConfigInvalid', `no signer config: set LKP_CONFIG_SSM_PARAMETER or ship ${file}`);
  return checked(await loadSignerConfig(file));
};

let signer: Promise<SignerHandler> | undefined;

const getSigner = (): Promise<SignerHandler> => {
  signer ??= loadSigner().catch((error: unknown) => {
    signer = undefined; // retry on the next invocation rather than poisoning the container
    throw error;
  });
  return signer;
};

// Config and CA keys load during the container's init phase, before the first event
// arrives; a failure here is not lost: the first invocation tries again and throws it.
getSigner().catch(() => undefined);

/** The Lambda handler. A misconfiguration throws (a function error someone must see). */
export const handler = async (event: unknown, context?: LambdaContext): Promise<unknown> => (await getSigner())(event, context?.awsRequestId);
