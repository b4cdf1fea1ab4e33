// A loopback EC2 Instance Connect Endpoint: the openTunnel WebSocket as the AWS CLI v2 speaks
// it (awscli/customizations/ec2instanceconnect). It checks the presigned URL's SigV4 signature
// for real (service ec2-instance-connect, the credentials the test holds), refuses expired or
// forged URLs and IAM denials with HTTP 403, more than `limit` concurrent tunnels per endpoint
// with HTTP 429, then pipes binary frames to the sshd its "VPC" maps the private IP to, and
// closes the tunnel after maxTunnelDuration. moto has no EICE (nor this WebSocket).
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { CredentialRegistry, TestIdentity } from './credentials.js';
import { verifyPresignedSigV4 } from './sigv4-verify.js';

export interface FakeEndpoint {
  readonly endpointId: string;
  /** privateIp -> the loopback port of the sshd that "instance" runs. */
  readonly routes: Map<string, number>;
}

export interface TunnelRecord {
  readonly endpointId?: string;
  readonly privateIp?: string;
  readonly remotePort?: string;
  readonly maxTunnelDuration?: string;
  readonly caller?: string;
  /** HTTP status of the handshake answer (101 = opened). */
  status: number;
  readonly reason?: string;
}

export interface FakeEice {
  readonly url: string;
  readonly tunnels: TunnelRecord[];
  /** Tunnels open right now, per endpoint. */
  open(endpointId: string): number;
  /** Return false to answer AccessDenied (an IAM deny of ec2-instance-connect:OpenTunnel). */
  setAuthorize(fn: (identity: TestIdentity, endpointId: string, privateIp: string) => boolean): void;
  /** Changes the concurrent-tunnel limit per endpoint. */
  setLimit(n: number): void;
  close(): Promise<void>;
}

export interface StartFakeEiceOptions {
  readonly registry: CredentialRegistry;
  readonly endpoints: readonly FakeEndpoint[];
  readonly region?: string;
  /** Concurrent tunnels per endpoint (EICE's quota is 20). */
  readonly limit?: number;
  readonly now?: () => Date;
}

const refuse = (socket: import('node:stream').Duplex, status: number, code: string, message: string): void => {
  const body = JSON.stringify({ __type: code, message });
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
};

/** Starts the fake; point AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT at `url`. */
export const startFakeEice = async (o: StartFakeEiceOptions): Promise<FakeEice> => {
  const tunnels: TunnelRecord[] = [];
  const openCount = new Map<string, number>();
  const sockets = new Set<WebSocket>();
  let authorize: (identity: TestIdentity, endpointId: string, privateIp: string) => boolean = () => true;
  let limit = o.limit ?? 20;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server = http.createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });

  server.on('upgrade', (req, socket, head) => {
    void (async () => {
      const verdict = await verifyPresignedSigV4({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }, o.registry, {
        service: 'ec2-instance-connect',
        ...(o.region ? { regions: [o.region] } : {}),
        ...(o.now ? { now: o.now() } : {}),
      });
      if (!verdict.ok) {
        tunnels.push({ status: 403, reason: verdict.code });
        return refuse(socket, 403, verdict.code, verdict.message);
      }
      const p = verdict.params;
      const record: TunnelRecord = {
        status: 0,
        caller: verdict.identity.arn,
        ...(p.instanceConnectEndpointId !== undefined ? { endpointId: p.instanceConnectEndpointId } : {}),
        ...(p.privateIpAddress !== undefined ? { privateIp: p.privateIpAddress } : {}),
        ...(p.remotePort !== undefined ? { remotePort: p.remotePort } : {}),
        ...(p.maxTunnelDuration !== undefined ? { maxTunnelDuration: p.maxTunnelDuration } : {}),
      };
      tunnels.push(record);
      const endpoint = o.endpoints.find((e) => e.endpointId === p.instanceConnectEndpointId);
      if ((req.url ?? '').split('?')[0] !== '/openTunnel' || !endpoint) {
        record.status = 404;
        return refuse(socket, 404, 'ResourceNotFoundException', 'no such endpoint');
      }
      const duration = Number(p.maxTunnelDuration ?? '3600');
      if (p.remotePort !== '22' || !Number.isInteger(duration) || duration < 1 || duration > 3600) {
        record.status = 400;
        return refuse(socket, 400, 'ValidationException', 'remotePort or maxTunnelDuration invalid');
      }
      if (!authorize(verdict.identity, endpoint.endpointId, p.privateIpAddress ?? '')) {
        record.status = 403;
        return refuse(socket, 403, 'AccessDeniedException', `User: ${verdict.identity.arn} is not authorized to perform: ec2-instance-connect:OpenTunnel`);
      }
      if ((openCount.get(endpoint.endpointId) ?? 0) >= limit) {
        record.status = 429;
        return refuse(socket, 429, 'ThrottlingException', 'Maximum number of connections per endpoint reached');
      }
      const port = endpoint.routes.get(p.privateIpAddress ?? '');
      if (port === undefined) {
        record.status = 502;
        return refuse(socket, 502, 'InternalServerException', 'the instance did not answer');
      }
      openCount.set(endpoint.endpointId, (openCount.get(endpoint.endpointId) ?? 0) + 1);
      wss.handleUpgrade(req, socket, head, (ws) => {
        record.status = 101;
        sockets.add(ws);
        const tcp = net.connect({ host: '127.0.0.1', port });
        const timer = setTimeout(() => ws.close(1000, 'Tunnel duration exceeded'), duration * 1000);
        let done = false;
        const end = (): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          sockets.delete(ws);
          openCount.set(endpoint.endpointId, (openCount.get(endpoint.endpointId) ?? 1) - 1);
          tcp.destroy();
          if (ws.readyState === ws.OPEN) ws.close(1000);
        };
        tcp.on('data', (d: Buffer) => ws.send(d, { binary: true }));
        tcp.on('close', end);
        tcp.on('error', end);
        ws.on('message', (d: Buffer) => tcp.write(d));
        ws.on('close', end);
        ws.on('error', end);
      });
    })().catch(() => socket.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    open: (id) => openCount.get(id) ?? 0,
    setAuthorize: (fn) => {
      authorize = fn;
    },
    setLimit: (n) => {
      limit = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
