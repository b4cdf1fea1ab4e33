// Where the SDK will send a service's requests, read from the SDK's own variables
// (AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL). Used only to decide whether a
// target is the local signer on loopback, and to name endpoints in messages; the SDK
// itself resolves endpoints.

/** The configured endpoint override for a service id such as `LAMBDA` or `STS`. */
export const endpointOverride = (serviceEnvId: string, env: NodeJS.ProcessEnv = process.env): string | undefined =>
  env[`AWS_ENDPOINT_URL_${serviceEnvId}`] ?? env.AWS_ENDPOINT_URL;

/** True for 127.0.0.0/8, ::1 and localhost URLs. */
export const isLoopbackUrl = (url: string | undefined): boolean => {
  if (!url) return false;
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
};

/** The variable that steers a service's endpoint (the SDK's own names), for messages. */
export const endpointVariable = (envId: string, env: NodeJS.ProcessEnv = process.env): string =>
  env[`AWS_ENDPOINT_URL_${envId}`] === undefined && env.AWS_ENDPOINT_URL !== undefined ? 'AWS_ENDPOINT_URL' : `AWS_ENDPOINT_URL_${envId}`;

/** The endpoint a service's requests go to: the override, else the public regional one. */
export const serviceEndpoint = (service: string, envId: string, region: string, env: NodeJS.ProcessEnv = process.env): URL => {
  const override = endpointOverride(envId, env);
  if (override) return new URL(override);
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://${service}.${region}.${suffix}/`);
};
