// The AWS Lambda entry point (`index.handler` in the bundle). Builds the signer once per
// container from its config (a file shipped in the bundle, or an SSM parameter) and
// hands every invocation to the same handler `lkp signer serve` uses.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LkpError } from '../errors.js';
import { parseSignerConfig, loadSignerConfig, type SignerConfig } from './config.js';
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

/** Where the config comes from: LKP_CONFIG_SSM_PARAMETER, LKP_CONFIG_FILE, or signer.json in the bundle. */
const loadConfig = async (): Promise<SignerConfig> => {
  const parameter = process.env.LKP_CONFIG_SSM_PARAMETER;
  if (parameter) {
    const { fetchSsmParameter } = await import('../aws/ssm-parameter.js');
    const text = await fetchSsmParameter(parameter, process.env.AWS_REGION ?? 'us-east-1');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (error) {
      throw new LkpError('ConfigInvalid', `SSM parameter ${parameter} is not valid JSON`, { cause: error });
    }
    return parseSignerConfig(doc, `ssm:${parameter}`);
  }
  const file = process.env.LKP_CONFIG_FILE ?? path.join(here(), 'signer.json');
  if (!existsSync(file)) throw new LkpError('ConfigInvalid', `no signer config: set LKP_CONFIG_SSM_PARAMETER or ship ${file}`);
  return loadSignerConfig(file);
};

let signer: Promise<SignerHandler> | undefined;

const getSigner = (): Promise<SignerHandler> => {
  signer ??= loadConfig()
    .then((config) => {
      const problem = lambdaConfigProblem(config);
      if (problem) throw new LkpError('ConfigInvalid', problem);
      return assembleSigner(config);
    })
    .catch((error: unknown) => {
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
