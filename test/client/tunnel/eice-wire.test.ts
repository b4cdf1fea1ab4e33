// lkp's openTunnel URL against the AWS CLI's own: botocore's RequestSigner presigns the same
// request the way awscli/customizations/ec2instanceconnect/eicesigner.py does (the service
// model's signing name, GET wss://DNS/openTunnel with the four query parameters, host only,
// 60 s). Same credentials and date: the same parameters and the same signature.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { presignOpenTunnel } from '../../../src/client/tunnel/eice.js';
import { tempDir } from '../../helpers/temp.js';

const BOTOCORE = `
import sys, json
import botocore.session
from botocore.signers import RequestSigner
from urllib.parse import urlencode
a = json.loads(sys.argv[1])
s = botocore.session.Session()
s.set_credentials(a['accessKeyId'], a['secretAccessKey'], a.get('sessionToken'))
m = s.get_service_model('ec2-instance-connect')
signer = RequestSigner(m.service_id, a['region'], m.signing_name, m.signature_version, s.get_credentials(), s.get_component('event_emitter'))
q = urlencode({'instanceConnectEndpointId': a['endpointId'], 'remotePort': a['port'], 'privateIpAddress': a['privateIp'], 'maxTunnelDuration': a['max']})
req = {'url': 'wss://%s/openTunnel?%s' % (a['dnsName'], q), 'body': {}, 'headers': {'host': a['dnsName']}, 'method': 'GET', 'query_string': '', 'url_path': '/', 'context': {}}
print(signer.generate_presigned_url(request_dict=req, operation_name='openTunnel', expires_in=60))
`;

const params = (url: string): Record<string, string> => Object.fromEntries(new URL(url).searchParams.entries());

describe('the openTunnel URL', () => {
  it('ok/is the AWS CLI\'s: same query, same SigV4 signature (botocore, same credentials and date)', async () => {
    const probe = spawnSync('python3', ['-c', 'import botocore'], { encoding: 'utf8' });
    if (probe.status !== 0) throw new Error('botocore is needed for this test: pip install botocore');
    const script = path.join(tempDir('lkp-botocore-'), 'presign.py');
    writeFileSync(script, BOTOCORE);
    const creds = { accessKeyId: 'ASIAEXAMPLE000000001', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'IQoJb3JpZ2luX2VjE/x+y=' };
    const target = { endpointId: 'eice-0123456789abcdef0', dnsName: 'eice-0123456789abcdef0.1a2b3c4d.ec2-instance-connect-endpoint.eu-west-1.amazonaws.com', privateIp: '10.1.2.3', port: 22, region: 'eu-west-1', maxDurationSeconds: 3600 };
    const r = spawnSync('python3', [script, JSON.stringify({ ...creds, region: target.region, endpointId: target.endpointId, port: 22, privateIp: target.privateIp, max: 3600, dnsName: target.dnsName })], { encoding: 'utf8', env: { ...process.env, AWS_CONFIG_FILE: '/dev/null' } });
    expect(r.status, r.stderr).toBe(0);
    const theirs = r.stdout.trim();
    const date = params(theirs)['X-Amz-Date'] as string;
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    expect(m).not.toBeNull();
    const [, y, mo, d, h, mi, s] = (m as RegExpExecArray).map(Number) as number[];
    const ours = await presignOpenTunnel(target, creds, { env: {}, signingDate: new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, s)) });
    expect(new URL(ours).origin).toBe(new URL(theirs).origin);
    expect(new URL(ours).pathname).toBe('/openTunnel');
    expect(params(ours)).toEqual(params(theirs));
  });
});
