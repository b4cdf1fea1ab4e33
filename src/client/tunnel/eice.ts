// The EC2 Instance Connect Endpoint tunnel, opened by lkp itself (no AWS CLI): a WebSocket
// to wss://ENDPOINT-DNS/openTunnel whose query names the endpoint, the instance's private IP,
// the remote port and the maximum tunnel duration, authorised by a SigV4 presigned URL
// (service ec2-instance-connect, valid 60 s); then raw TCP bytes in binary frames both ways.
// There is no API reference for this wire: it follows the AWS CLI v2's customisation,
// awscli/customizations/ec2instanceconnect/eicesigner.py (the query and the presign) and
// websocket.py (binary frames of at most 65,000 bytes; a text frame is a protocol error; a
// close code other than 1000 carries the reason; a refused handshake carries an HTTP status
// and body), as Teleport's lib/integrations/awsoidc/eice_opentunnel.go does too.
import type { Readable, Writable } from 'node:stream';
import type { AwsCredentialIdentity } from '@smithy/types';
import { SignatureV4 } from '@smithy/signature-v4';
import WebSocket from 'ws';
import { LkpError } from '../../errors.js';
import { httpTimeoutMs } from '../../aws/http.js';
import { Sha256 } from '../../aws/sigv4.js';

/** EICE's own limit on maxTunnelDuration (seconds): one hour. */
export const MAX_TUNNEL_SECONDS = 3600;
/** Concurrent connections EICE allows per endpoint (its documented quota). */
export const ENDPOINT_CONNECTION_LIMIT = 20;
/** The AWS CLI's frame size. */
const MAX_FRAME = 65_000;
/** The SDK's endpoint variable for the EC2 Instance Connect service (tests point it at a loopback fake). */
export const EICE_ENDPOINT_ENV = 'AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT';

export interface EiceTunnelTarget {
  readonly endpointId: string;
  readonly dnsName: string;
  readonly privateIp: string;
  readonly port: number;
  readonly region: string;
  /** Seconds, 1..3600. */
  readonly maxDurationSeconds: number;
}

const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Where the WebSocket goes: the endpoint's DNS name, or the SDK-style override (http -> ws). */
const baseUrl = (dnsName: string, env: NodeJS.ProcessEnv): URL => {
  const override = env[EICE_ENDPOINT_ENV] ?? env.AWS_ENDPOINT_URL;
  if (!override) return new URL(`wss://${dnsName}`);
  const u = new URL(override);
  u.protocol = u.protocol === 'http:' ? 'ws:' : u.protocol === 'https:' ? 'wss:' : u.protocol;
  return u;
};

/** The presigned openTunnel URL (AWS CLI eicesigner.py: GET, host header only, expires in 60 s). */
export const presignOpenTunnel = async (
  t: EiceTunnelTarget,
  credentials: AwsCredentialIdentity,
  opts: { signingDate?: Date; env?: NodeJS.ProcessEnv } = {},
): Promise<string> => {
  const base = baseUrl(t.dnsName, opts.env ?? process.env);
  const signer = new SignatureV4({ service: 'ec2-instance-connect', region: t.region, credentials, sha256: Sha256 });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port ? { port: Number(base.port) } : {}),
      path: '/openTunnel',
      query: {
        instanceConnectEndpointId: t.endpointId,
        remotePort: String(t.port),
        privateIpAddress: t.privateIp,
        maxTunnelDuration: String(t.maxDurationSeconds),
      },
      headers: { host: base.host },
    },
    { expiresIn: 60, ...(opts.signingDate ? { signingDate: opts.signingDate } : {}) },
  );
  const query = Object.entries(presigned.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string').map((x) => `${rfc3986(k)}=${rfc3986(x)}`))
    .join('&');
  return `${base.protocol}//${base.host}/openTunnel?${query}`;
};

/** A refused handshake as an LkpError with a code a person (and a test) can act on (pure). */
export const handshakeError = (status: number, body: string, t: Pick<EiceTunnelTarget, 'endpointId' | 'region'>): LkpError => {
  const said = body.replace(/\s+/g, ' ').trim().slice(0, 240);
  const answer = `HTTP ${status}${said ? `: ${said}` : ''}`;
  if (status === 429 || /\b(limit|maximum number|too many)\b/i.test(said)) {
    return new LkpError(
      'TunnelLimit',
      `EC2 Instance Connect Endpoint ${t.endpointId} refused another connection (${answer}): it allows ${ENDPOINT_CONNECTION_LIMIT} concurrent connections; close other sessions through it, wait, or use another endpoint (--eice-id)`,
    );
  }
  if (status === 401 || status === 403) {
    return new LkpError(
      'TunnelRefused',
      `EC2 Instance Connect Endpoint ${t.endpointId} refused the tunnel (${answer}): these credentials need ec2-instance-connect:OpenTunnel on arn:aws:ec2:${t.region}:ACCOUNT:instance-connect-endpoint/${t.endpointId} (the deploy template's PeopleEicePolicy grants it through endpoints tagged lkp-ssh=true), and this machine's clock must be right`,
    );
  }
  if (status === 404) return new LkpError('EiceNotFound', `EC2 Instance Connect Endpoint ${t.endpointId} does not exist or does not serve this region (${answer})`);
  return new LkpError('AwsError', `EC2 Instance Connect Endpoint ${t.endpointId} did not open the tunnel (${answer})`);
};

/** The tunnel ended at its maximum duration: say so, since ssh only sees a closed connection. */
export const durationError = (seconds: number): LkpError =>
  new LkpError(
    'TunnelLimit',
    `the EC2 Instance Connect Endpoint tunnel reached its maximum duration (${seconds} s; EICE allows at most ${MAX_TUNNEL_SECONDS}, one hour) and was closed; connect again (a long transfer: use --via ssm or a direct connection)`,
  );

export interface PipeOptions {
  readonly input: Readable;
  readonly output: Writable;
  readonly maxDurationSeconds: number;
  readonly target: Pick<EiceTunnelTarget, 'endpointId' | 'region'>;
  /** Called once the WebSocket is open (the bench measures from here). */
  readonly onOpen?: () => void;
  readonly now?: () => number;
}

/** Opens the WebSocket at `url` and pipes input -> tunnel -> output until either side ends. */
export const pipeTunnel = (url: string, o: PipeOptions): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const now = o.now ?? Date.now;
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: httpTimeoutMs(), maxPayload: 1024 * 1024 });
    let opened = 0;
    let settled = false;
    const finish = (error?: LkpError): void => {
      if (settled) return;
      settled = true;
      o.input.pause();
      o.input.removeAllListeners('data');
      if (error) reject(error);
      else resolve();
    };
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 4096) body += d;
      });
      res.on('end', () => {
        req.destroy();
        finish(handshakeError(res.statusCode ?? 0, body, o.target));
      });
      res.on('error', () => finish(handshakeError(res.statusCode ?? 0, body, o.target)));
    });
    ws.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      finish(new LkpError('AwsError', `cannot reach the EC2 Instance Connect Endpoint ${o.target.endpointId} at ${new URL(url).host}: ${error.code ?? error.message}`, { cause: error }));
    });
    ws.on('open', () => {
      opened = now();
      o.onOpen?.();
      o.input.on('data', (chunk: Buffer) => {
        o.input.pause();
        const parts: Buffer[] = [];
        for (let at = 0; at < chunk.length; at += MAX_FRAME) parts.push(chunk.subarray(at, at + MAX_FRAME));
        parts.forEach((part, i) =>
          ws.send(part, { binary: true }, (error) => {
            if (!error && i === parts.length - 1) o.input.resume();
          }),
        );
      });
      o.input.once('end', () => ws.close(1000));
      o.input.resume();
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        ws.terminate();
        finish(new LkpError('AwsError', `EC2 Instance Connect Endpoint ${o.target.endpointId} sent a text frame; the tunnel carries binary frames only`));
        return;
      }
      if (!o.output.write(data)) {
        ws.pause();
        o.output.once('drain', () => ws.resume());
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      const lived = opened ? (now() - opened) / 1000 : 0;
      // EICE ends a tunnel at maxTunnelDuration; ssh would only say "connection closed".
      if (opened && lived >= Math.max(o.maxDurationSeconds - 1, o.maxDurationSeconds * 0.9)) return finish(durationError(o.maxDurationSeconds));
      if (code !== 1000 && code !== 1005 && reason.length > 0) {
        return finish(new LkpError('AwsError', `EC2 Instance Connect Endpoint ${o.target.endpointId} closed the tunnel (code ${code}): ${reason.toString('utf8').slice(0, 240)}`));
      }
      finish();
    });
  });
