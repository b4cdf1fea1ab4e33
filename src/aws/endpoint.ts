// Where the SDK will send a service's requests, read from the SDK's own variables
// (AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL). Used only to decide whether a
// target is the local signer on loopback; the SDK itself resolves endpoints.

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
