// route.json (what `lkp ssh prepare` writes for the transparent proxy) is parsed strictly:
// an allow-list of fields per transport, typed, and the client config's region rule; a
// damaged file is ConfigInvalid whatever is wrong with it, through the CLI as well.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRoute, proxyCommandFor } from '../../../src/client/tunnel/route.js';
import { lkp } from '../../helpers/lkp.js';
import { tempDir } from '../../helpers/temp.js';

const eice = { via: 'eice', endpointId: 'eice-0123456789abcdef0', dnsName: 'eice-0123456789abcdef0.x.ec2-instance-connect-endpoint.us-east-1.amazonaws.com', privateIp: '10.0.0.7', region: 'us-east-1', maxTunnelSeconds: 3600 };

describe('route.json', () => {
  it('ok/each transport\'s fields come back; direct is no route', () => {
    expect(parseRoute(eice, 'r.json')).toEqual(eice);
    expect(parseRoute({ ...eice, profile: 'ops', vpcId: 'vpc-0e1ce00000000000a' }, 'r.json')).toMatchObject({ profile: 'ops', vpcId: 'vpc-0e1ce00000000000a' });
    expect(parseRoute({ via: 'ssm', region: 'eu-west-1', document: 'lkp-prod-StartSSHSession' }, 'r.json')).toEqual({ via: 'ssm', region: 'eu-west-1', document: 'lkp-prod-StartSSHSession' });
    expect(parseRoute({ via: 'direct' }, 'r.json')).toBeUndefined();
  });

  it('fail/unknown or foreign fields, wrong types, a bad region or document: ConfigInvalid', () => {
    const bad: unknown[] = [
      { via: 'direct', extra: 1 },
      { ...eice, extra: 1 },
      { via: 'ssm', region: 'us-east-1', endpointId: eice.endpointId }, // an eice field on an ssm route
      { via: 'ssm', region: 'us-east-1; touch /tmp/x' },
      { via: 'ssm', region: 'US-EAST-1' },
      { via: 'ssm', region: 7 },
      { via: 'ssm' },
      { via: 'ssm', region: 'us-east-1', profile: 3 },
      { via: 'ssm', region: 'us-east-1', profile: 'a\nb' },
      { via: 'ssm', region: 'us-east-1', document: 'AWS-StartSSHSession --parameters portNumber=3306' },
      { ...eice, region: 'nowhere' },
      { ...eice, maxTunnelSeconds: '3600' },
      { ...eice, maxTunnelSeconds: 7200 },
      { ...eice, privateIp: '10.0.0.7 -oProxyCommand=x' },
      { ...eice, vpcId: 'vpc-x' },
      { via: 'telnet' },
      [eice],
      'eice',
      null,
      { __proto__: null, via: 'direct', constructor: 1 },
    ];
    for (const doc of bad) expect(() => parseRoute(doc, 'r.json'), JSON.stringify(doc)).toThrow(expect.objectContaining({ code: 'ConfigInvalid' }));
  });

  it('ok/the ssm ProxyCommand names the route\'s document, else AWS\'s documented one', () => {
    expect(proxyCommandFor({ via: 'ssm', region: 'us-east-1', document: 'lkp-prod-StartSSHSession' }, [], 'i-1')).toBe('aws ssm start-session --target %h --document-name lkp-prod-StartSSHSession --parameters portNumber=%p');
    expect(proxyCommandFor({ via: 'ssm', region: 'us-east-1' }, [], 'i-1')).toBe('aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p');
    expect(() => proxyCommandFor({ via: 'ssm', region: 'us-east-1', document: 'x;y' }, [], 'i-1')).toThrow(expect.objectContaining({ code: 'UsageError' }));
  });

  it('fail/through the CLI: the proxy refuses a damaged route.json (ConfigInvalid) and a bad --region (UsageError)', async () => {
    const home = tempDir('lkp-route-');
    const id = 'i-0123456789abcdef0';
    mkdirSync(path.join(home, 'hosts', id), { recursive: true });
    writeFileSync(path.join(home, 'hosts', id, 'address'), '127.0.0.1\n');
    const env = { LKP_HOME: home, AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT: 'http://127.0.0.1:9', PATH: path.dirname(process.execPath) };
    for (const doc of [{ via: 'direct', extra: 1 }, { via: 'ssm', region: 'us-east-1;id' }]) {
      writeFileSync(path.join(home, 'hosts', id, 'route.json'), JSON.stringify(doc));
      const r = await lkp(['ssh', 'proxy', '--host', id, '--port', '9'], { env });
      expect(r.code, `${JSON.stringify(doc)} ${r.stderr}`).toBe(20);
      expect(r.stderr).toMatch(/^lkp: ConfigInvalid: /);
    }
    writeFileSync(path.join(home, 'hosts', id, 'route.json'), '{"via":');
    expect((await lkp(['ssh', 'proxy', '--host', id, '--port', '9'], { env })).code).toBe(20);
    const proxy = await lkp(['ssh', 'proxy', '--via', 'eice', '--host', id, '--port', '22', '--address', '10.0.0.7', '--eice-id', eice.endpointId, '--eice-dns', eice.dnsName, '--region', 'us-east-1.evil.example'], { env: { ...env, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE000000000', AWS_SECRET_ACCESS_KEY: 'x'.repeat(40) } });
    expect(proxy.code, proxy.stderr).toBe(21);
    expect(proxy.stderr).toMatch(/^lkp: UsageError: .*region/);
  });
});
