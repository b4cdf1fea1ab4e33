// Runs before every test file: pins every AWS endpoint the SDK reads to loopback and
// makes any connection to a non-loopback address throw. Traffic off this machine is
// flagged, and a test that silently reached 169.254.169.254 would prove nothing.
import net from 'node:net';

const CLOSED = 'http://127.0.0.1:9'; // discard port: nothing listens, connections fail fast

const ENDPOINT_VARS = [
  'AWS_EC2_METADATA_SERVICE_ENDPOINT',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_LAMBDA',
  'AWS_ENDPOINT_URL_EC2',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL_SSM',
  'AWS_ENDPOINT_URL_IAM',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_KMS',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_SSO',
  'AWS_ENDPOINT_URL_SSO_OIDC',
  'AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT',
] as const;

export const isLoopbackHost = (host: string): boolean => {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
};

for (const name of ENDPOINT_VARS) {
  if (process.env[name] === undefined) process.env[name] = CLOSED;
  const host = new URL(process.env[name] as string).hostname;
  if (!isLoopbackHost(host)) {
    throw new Error(`test setup: ${name}=${process.env[name]} is not loopback; refusing to run`);
  }
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_EC2_METADATA_V1_DISABLED = 'true';
process.env.AWS_REGION ??= 'us-east-1';
// No real credentials or config files from the developer's machine.
for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
  delete process.env[name];
}
process.env.AWS_CONFIG_FILE = '/dev/null';
process.env.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';

const originalConnect = net.Socket.prototype.connect;
// Refuse any TCP connection this test process opens to a non-loopback address.
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const first = args[0] as { host?: string; path?: string } | number | string | undefined;
  let host: string | undefined;
  if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
    if (first.path === undefined) host = first.host ?? 'localhost';
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    host = typeof args[1] === 'string' ? args[1] : 'localhost';
  }
  if (host !== undefined && !isLoopbackHost(host)) {
    throw new Error(`loopback guard: test tried to connect to ${host}; only loopback is allowed`);
  }
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
