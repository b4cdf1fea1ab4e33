// The EICE tunnel module against the loopback EICE fake (real SigV4 presign and check, a real
// WebSocket, a TCP echo server as the "instance"), and the pure parts: endpoint choice,
// refusal codes, the ProxyCommand's quoting.
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseEndpoint } from '../../../src/aws/ec2-eice-endpoint.js';
import { LkpError } from '../../../src/errors.js';
import { handshakeError, pipeTunnel, presignOpenTunnel, type EiceTunnelTarget } from '../../../src/client/tunnel/eice.js';
import { proxyCommandFor } from '../../../src/client/tunnel/route.js';
import { CredentialRegistry, assumedRole, sdkCredentials } from '../../fakes/credentials.js';
import { startFakeEice, type FakeEice } from '../../fakes/eice.js';
import { onCleanup } from '../../helpers/temp.js';

const registry = new CredentialRegistry();
const alice = registry.add(assumedRole('AWSReservedSSO_Admin_abc', 'alice@example.com'));
const target: EiceTunnelTarget = { endpointId: 'eice-0123456789abcdef0', dnsName: 'eice-0123456789abcdef0.x.ec2-instance-connect-endpoint.us-east-1.amazonaws.com', privateIp: '10.0.0.7', port: 22, region: 'us-east-1', maxDurationSeconds: 60 };
let eice: FakeEice;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  onCleanup(() => new Promise((r) => echo.close(r)));
  eice = await startFakeEice({ registry, endpoints: [{ endpointId: target.endpointId, routes: new Map([[target.privateIp, (echo.address() as net.AddressInfo).port]]) }], region: 'us-east-1' });
  env = { AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT: eice.url };
});
afterAll(() => eice.close());

const through = async (url: string): Promise<string> => {
  const input = new PassThrough();
  const output = new PassThrough();
  let got = '';
  output.on('data', (d: Buffer) => {
    got += d.toString();
    if (got.length >= 5) input.end();
  });
  const done = pipeTunnel(url, { input, output, maxDurationSeconds: 60, target, onOpen: () => input.write('hello') });
  await done;
  return got;
};

describe('EICE tunnel', () => {
  it('ok/a presigned openTunnel URL opens the tunnel; bytes go both ways', async () => {
    const url = await presignOpenTunnel(target, sdkCredentials(alice), { env });
    expect(new URL(url).pathname).toBe('/openTunnel');
    expect(await through(url)).toBe('hello');
    expect(eice.tunnels.at(-1)).toMatchObject({ status: 101, privateIp: '10.0.0.7', remotePort: '22', maxTunnelDuration: '60', endpointId: target.endpointId });
  });

  it('fail/an expired URL is refused: TunnelRefused', async () => {
    const url = await presignOpenTunnel(target, sdkCredentials(alice), { env, signingDate: new Date(Date.now() - 120_000) });
    await expect(through(url)).rejects.toMatchObject({ code: 'TunnelRefused' });
    expect(eice.tunnels.at(-1)).toMatchObject({ status: 403, reason: 'RequestExpired' });
  });

  it('fail/a URL altered after signing (another private IP) is refused: TunnelRefused', async () => {
    const url = await presignOpenTunnel(target, sdkCredentials(alice), { env });
    await expect(through(url.replace('privateIpAddress=10.0.0.7', 'privateIpAddress=10.0.0.8'))).rejects.toMatchObject({ code: 'TunnelRefused' });
    expect(eice.tunnels.at(-1)).toMatchObject({ status: 403, reason: 'SignatureDoesNotMatch' });
  });

  it('fail/a key the service does not know is refused: TunnelRefused', async () => {
    const url = await presignOpenTunnel(target, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x'.repeat(40) }, { env });
    await expect(through(url)).rejects.toMatchObject({ code: 'TunnelRefused' });
  });

  it('ok/refusals map to stable codes', () => {
    const t = { endpointId: target.endpointId, region: 'us-east-1' };
    expect(handshakeError(429, '', t).code).toBe('TunnelLimit');
    expect(handshakeError(403, '{"message":"denied"}', t).code).toBe('TunnelRefused');
    expect(handshakeError(404, '', t).code).toBe('EiceNotFound');
    expect(handshakeError(500, '', t)).toBeInstanceOf(LkpError);
  });

  it("ok/the endpoint: ready, in the instance's VPC, its subnet's first; or the one named", () => {
    const listed = [
      { InstanceConnectEndpointId: 'eice-0000000000000000a', DnsName: 'a', State: 'create-complete', VpcId: 'vpc-1', SubnetId: 'subnet-1' },
      { InstanceConnectEndpointId: 'eice-0000000000000000b', DnsName: 'b', State: 'create-complete', VpcId: 'vpc-1', SubnetId: 'subnet-2' },
      { InstanceConnectEndpointId: 'eice-0000000000000000c', DnsName: 'c', State: 'delete-in-progress', VpcId: 'vpc-1', SubnetId: 'subnet-3' },
    ];
    expect(chooseEndpoint(listed, { vpcId: 'vpc-1', subnetId: 'subnet-2' })?.dnsName).toBe('b');
    expect(chooseEndpoint(listed, { vpcId: 'vpc-1', subnetId: 'subnet-9' })?.dnsName).toBe('a');
    expect(chooseEndpoint(listed, { vpcId: 'vpc-1', subnetId: 'subnet-3' })?.dnsName).toBe('a');
    expect(chooseEndpoint(listed, { vpcId: 'vpc-2' })).toBeUndefined();
    expect(chooseEndpoint(listed, { endpointId: 'eice-0000000000000000c' })).toBeUndefined();
  });

  it('ok/the ProxyCommand quotes every word and doubles a literal %', () => {
    const route = { via: 'eice' as const, endpointId: target.endpointId, dnsName: target.dnsName, privateIp: '10.0.0.7', region: 'us-east-1', maxTunnelSeconds: 3600 };
    const cmd = proxyCommandFor(route, ['/opt/my lkp/100%/lkp'], 'i-0123456789abcdef0');
    expect(cmd.startsWith(`'/opt/my lkp/100%%/lkp' 'ssh' 'proxy' '--via' 'eice' '--host' 'i-0123456789abcdef0'`)).toBe(true);
    expect(cmd.endsWith(' --port %p')).toBe(true);
    expect(() => proxyCommandFor({ ...route, dnsName: 'x;rm -rf' }, ['lkp'], 'i-0123456789abcdef0')).toThrow(LkpError);
    expect(proxyCommandFor({ via: 'ssm', region: 'us-east-1' }, [], 'i-1')).toBe('aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p');
  });
});
