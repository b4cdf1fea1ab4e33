// Two admins rotating the deployed signer's SSM config at once (review finding 9): SSM has
// no conditional put, so another write can land between lkp's "unchanged since read" check
// and its PutParameter. A loopback proxy in front of moto makes that happen on the wire: it
// lets a second admin's PutParameter through just before lkp's. lkp must not report success
// for a write that silently overwrote someone else's.
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetParameterHistoryCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lkp } from '../../helpers/lkp.js';
import { startMoto, type Moto } from '../../helpers/moto.js';
import { onCleanup } from '../../helpers/temp.js';

const CONFIG_INVALID = 20;
const PARAMETER = '/lkp/race-test/signer-config';

describe('a rotation write that lands on another admin\'s (moto SSM behind a loopback proxy)', () => {
  let moto: Moto;
  let ssm: SSMClient;
  let proxyUrl = '';
  let race = false;
  const keys = { host: '', user: '', next: '' };
  const config = (): Record<string, unknown> => ({ version: 1, serverId: 'lkp-race-test', hostCa: { store: 'kms', keyIds: [keys.host] }, userCa: { store: 'kms', keyIds: [keys.user] }, rules: [] });

  beforeAll(async () => {
    moto = await startMoto();
    const kms = new KMSClient(moto.client());
    const create = async (): Promise<string> => (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata?.KeyId ?? '';
    keys.host = await create();
    keys.user = await create();
    keys.next = await create();
    ssm = new SSMClient(moto.client());
    await ssm.send(new PutParameterCommand({ Name: PARAMETER, Type: 'String', Value: JSON.stringify(config()) }));
    const upstream = new URL(moto.url);
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          if (race && req.headers['x-amz-target'] === 'AmazonSSM.PutParameter') {
            race = false;
            // The other admin's edit, between lkp's check and its put.
            await ssm.send(new PutParameterCommand({ Name: PARAMETER, Type: 'String', Overwrite: true, Value: JSON.stringify({ ...config(), $comment: 'the other admin' }) }));
          }
          const forward = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          });
          forward.on('error', () => res.destroy());
          forward.end(Buffer.concat(chunks));
        })();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise((r) => server.close(r)));
    proxyUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }, 120_000);

  afterAll(async () => {
    await moto?.close();
  });

  it('fail/add-next whose PutParameter overwrote a version written after its check: ConfigInvalid, not success', async () => {
    race = true;
    const r = await lkp(['ca', 'rotate', 'add-next', '--ssm-parameter', PARAMETER, '--ca', 'user', '--key', keys.next], { env: { ...moto.env(), AWS_ENDPOINT_URL_SSM: proxyUrl } });
    expect(race).toBe(false); // the other write did happen in between
    expect(r.code, r.stderr).toBe(CONFIG_INVALID);
    const history = (await ssm.send(new GetParameterHistoryCommand({ Name: PARAMETER }))).Parameters ?? [];
    expect(history.map((p) => p.Version)).toEqual([1, 2, 3]);
    // lkp's step is the value now (version 3); the other admin's version 2 is what the error names.
    expect((JSON.parse(history[2]?.Value ?? '{}') as { userCa: { keyIds: string[] } }).userCa.keyIds).toEqual([keys.user, keys.next]);
  });
});
