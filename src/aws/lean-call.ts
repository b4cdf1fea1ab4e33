// One signed call to an AWS JSON or query API without the service's SDK client.
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';
import { httpRequest, type HttpAnswer, type RequestLabel } from './http.js';
import { signRequest } from './sigv4.js';

export interface LeanCall {
  /** Signing name, e.g. `ec2`, `ssm`, `secretsmanager`, `lambda`. */
  readonly service: string;
  /** Suffix of AWS_ENDPOINT_URL_<ID>, e.g. `EC2`, `SSM`, `SECRETS_MANAGER`. */
  readonly endpointEnvId: string;
  readonly region: string;
  readonly method?: string;
  readonly path?: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly credentials: AwsCredentialIdentity;
  readonly timeoutMs?: number;
  /** For messages: the AWS operation, e.g. `EC2 DescribeInstances`; and e.g. `attempt 2/3`. */
  readonly operation: string;
  readonly attempt?: string;
}

/** The variable that steers a service's endpoint (the SDK's own names). */
export const endpointVariable = (envId: string): string => (process.env[`AWS_ENDPOINT_URL_${envId}`] === undefined && process.env.AWS_ENDPOINT_URL !== undefined ? 'AWS_ENDPOINT_URL' : `AWS_ENDPOINT_URL_${envId}`);

/** The endpoint: the SDK's AWS_ENDPOINT_URL_<ID> / AWS_ENDPOINT_URL, else the public one. */
export const serviceEndpoint = (service: string, envId: string, region: string): URL => {
  const override = process.env[`AWS_ENDPOINT_URL_${envId}`] ?? process.env.AWS_ENDPOINT_URL;
  if (override) return new URL(override);
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://${service}.${region}.${suffix}/`);
};

/** Signs and sends the call; returns the raw answer (callers parse their protocol). */
export const leanCall = async (call: LeanCall): Promise<HttpAnswer> => {
  const endpoint = serviceEndpoint(call.service, call.endpointEnvId, call.region);
  const basePath = endpoint.pathname.replace(/\/$/, '');
  const path = `${basePath}${call.path ?? '/'}`;
  const headers = await signRequest(
    {
      method: call.method ?? 'POST',
      protocol: endpoint.protocol as 'https:' | 'http:',
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path,
      headers: { host: endpoint.host, ...call.headers },
      body: call.body,
    },
    { service: call.service, region: call.region, credentials: call.credentials },
  );
  try {
    const label: RequestLabel = { operation: call.operation, endpointVar: endpointVariable(call.endpointEnvId), ...(call.attempt ? { attempt: call.attempt } : {}) };
    return await httpRequest(`${endpoint.origin}${path}`, { method: call.method ?? 'POST', headers, body: call.body, label, ...(call.timeoutMs ? { timeoutMs: call.timeoutMs } : {}) });
  } catch (error) {
    if (error instanceof LkpError) throw error;
    throw new LkpError('AwsError', `${call.service} call failed: ${(error as Error).message}`, { cause: error });
  }
};
