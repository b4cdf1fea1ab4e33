// CA keys that never leave KMS, against moto with IAM enforced: P-256, P-384 and RSA-4096
// keys sign host and user certificates through kms:Sign; ssh-keygen reads them back and a
// real sshd and ssh accept them. The signer's identity may sign with these keys only.
// (moto has no ECC_NIST_EDWARDS25519: Ed25519's wire shape is covered in kms.test.ts.)
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkKmsApi } from '../../../src/aws/kms.js';
import { kmsCaKeySet } from '../../../src/signer/ca-store/kms.js';
import type { CaKeySet } from '../../../src/signer/ca-store/types.js';
import { formatPublicKey } from '../../../src/ssh/public-key.js';
import { signCert } from '../../helpers/ca.js';
import { startMoto, type Moto, type MotoCredentials } from '../../helpers/moto.js';
import { certInfo, currentUser, genKey, readPub, runSsh, startSshd, tempDir, writeSshdConfig, type RunningSshd } from '../../helpers/openssh.js';

const SPECS = ['ECC_NIST_P256', 'ECC_NIST_P384', 'RSA_4096'] as const;
type Spec = (typeof SPECS)[number];

describe('KMS CA keys against moto (IAM enforced) and a real sshd', () => {
  const dir = tempDir('lkp-kms-moto-');
  const login = currentUser();
  let moto: Moto;
  let keyArns: Record<Spec, string>;
  let signerCreds: MotoCredentials;
  let outsiderCreds: MotoCredentials;
  let sets: Record<Spec, CaKeySet>;
  let sshd: RunningSshd;
  let clientKey: string;
  let knownHosts: string;

  const useCredentials = (c: MotoCredentials): void => {
    Object.assign(process.env, moto.env(c));
  };

  const makeUser = async (iam: IAMClient, name: string, statements: unknown[]): Promise<MotoCredentials> => {
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (statements.length > 0) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' };
  };

  beforeAll(async () => {
    moto = await startMoto();
    const kms = new KMSClient(moto.client());
    const iam = new IAMClient(moto.client());
    const arns: Partial<Record<Spec, string>> = {};
    for (const spec of SPECS) {
      const out = await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY', Description: `lkp test CA ${spec}` }));
      arns[spec] = out.KeyMetadata?.Arn ?? '';
    }
    keyArns = arns as Record<Spec, string>;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/lkp-user-ca', TargetKeyId: keyArns.ECC_NIST_P384 }));
    // The deploy template scopes these two actions to the two CA key ARNs. moto 5.2.1
    // evaluates KMS actions against Resource "*" only (a statement naming key ARNs is
    // denied there), so the test grants the same two actions on "*".
    signerCreds = await makeUser(iam, 'lkp-signer', [{ Effect: 'Allow', Action: ['kms:Sign', 'kms:GetPublicKey'], Resource: '*' }]);
    outsiderCreds = await makeUser(iam, 'lkp-outsider', [{ Effect: 'Allow', Action: ['kms:DescribeKey'], Resource: '*' }]);

    useCredentials(signerCreds);
    const api = await sdkKmsApi('us-east-1');
    sets = Object.fromEntries(await Promise.all(SPECS.map(async (s) => [s, await kmsCaKeySet(api, [keyArns[s]])] as const))) as Record<Spec, CaKeySet>;

    // sshd: host certificate from the P-256 KMS key; user certificates from any of the three.
    const hostKey = await genKey(dir, 'ssh_host_ed25519_key');
    const hostCa = { signer: sets.ECC_NIST_P256.signer, publicLine: sets.ECC_NIST_P256.publicLines[0] as string, privateText: '' };
    writeFileSync(`${hostKey}-cert.pub`, `${await signCert(hostCa, readPub(hostKey), { certType: 'host', principals: ['lkp-kms-host'] })}\n`);
    writeFileSync(path.join(dir, 'user_ca.pub'), `${SPECS.map((s) => sets[s].publicLines[0]).join('\n')}\n`);
    writeFileSync(path.join(dir, `principals-${login}`), `${login}@lkp-kms-host\n`);
    sshd = await startSshd(
      writeSshdConfig(dir, [
        `HostKey ${hostKey}`,
        `HostCertificate ${hostKey}-cert.pub`,
        `TrustedUserCAKeys ${path.join(dir, 'user_ca.pub')}`,
        `AuthorizedPrincipalsFile ${path.join(dir, 'principals-%u')}`,
        'AuthorizedKeysFile none',
        'PermitRootLogin prohibit-password',
      ]),
    );
    knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, `@cert-authority lkp-kms-host ${hostCa.publicLine}\n`);
    clientKey = await genKey(dir, 'id_ed25519');
  }, 120_000);

  afterAll(async () => {
    await sshd?.stop();
    await moto?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(SPECS)('ok/a user certificate signed by the %s KMS key is read by ssh-keygen and logs in to a real sshd', async (spec) => {
    useCredentials(signerCreds);
    const set = sets[spec];
    const ca = { signer: set.signer, publicLine: set.publicLines[0] as string, privateText: '' };
    const cert = await signCert(ca, readPub(clientKey), { principals: [`${login}@lkp-kms-host`] });
    const info = await certInfo(cert, dir);
    expect(info).toContain(`Signing CA: ${spec === 'RSA_4096' ? 'RSA' : 'ECDSA'}`);
    if (spec === 'RSA_4096') expect(info).toContain('using rsa-sha2-512');
    const certFile = `${clientKey}-cert.pub`;
    writeFileSync(certFile, `${cert}\n`);
    const r = await runSsh(['-i', clientKey, '-o', `CertificateFile=${certFile}`, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'HostKeyAlias=lkp-kms-host', '-p', String(sshd.port), `${login}@127.0.0.1`, 'echo', 'kms-ok']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('kms-ok');
  });

  it('ok/an alias resolves to its key, and the key ARN is what signs', async () => {
    useCredentials(signerCreds);
    const set = await kmsCaKeySet(await sdkKmsApi('us-east-1'), ['alias/lkp-user-ca']);
    expect(set.publicLines[0]).toBe(sets.ECC_NIST_P384.publicLines[0]);
    expect(formatPublicKey(set.signer.publicKey)).toBe(set.publicLines[0]);
  });

  it('fail/an identity without kms:GetPublicKey on the key gets CaKeyUnavailable naming the key, not key material', async () => {
    useCredentials(outsiderCreds);
    const err = await kmsCaKeySet(await sdkKmsApi('us-east-1'), [keyArns.ECC_NIST_P256]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CaKeyUnavailable' });
    expect((err as Error).message).toContain(keyArns.ECC_NIST_P256);
    // AWS answers AccessDeniedException; moto answers an XML AccessDenied to this JSON
    // protocol, which the SDK cannot parse, so only the HTTP status survives.
    expect((err as Error).message).toMatch(/AccessDenied|HTTP 403/);
  });
});
