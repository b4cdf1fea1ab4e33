// The KMS CA store's pure core: public keys from KMS's DER, DER ECDSA signatures re-encoded
// for SSH, and the Ed25519 RAW wire shape (moto has no ECC_NIST_EDWARDS25519 key spec, so
// that one is proven here with a KmsApi that signs like KMS does, and read by ssh-keygen).
import { constants, generateKeyPairSync, privateEncrypt, randomBytes, randomUUID, sign as cryptoSign, verify, type KeyObject } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { derEcdsaToP1363, kmsCaKeySet, kmsCaSigner, sshKeyFromSpki, KMS_RAW_MESSAGE_LIMIT, type KmsApi } from '../../../src/signer/ca-store/kms.js';
import { formatPublicKey, parsePublicKey } from '../../../src/ssh/public-key.js';
import { verifySignature } from '../../../src/ssh/signature.js';
import { parseCertificate } from '../../../src/ssh/parse-certificate.js';
import { certInfo, tempDir } from '../../helpers/openssh.js';
import { signCert } from '../../helpers/ca.js';
import { rmSync } from 'node:fs';
import type { AuditRecord } from '../../../src/signer/audit.js';
import { parseSignerConfig } from '../../../src/signer/config.js';
import { createSignerHandler } from '../../../src/signer/handle.js';
import { createJoinToken } from '../../../src/signer/identity/join-token.js';
import { localJoinTokenMac } from '../../../src/signer/identity/join-token-key.js';
import { joinTokenVerifier } from '../../../src/signer/identity/join-token-verifier.js';
import { memoryTokenLedger } from '../../../src/signer/identity/token-ledger.js';
import { parsePrincipals } from '../../../src/ssh/names.js';

type Spec = 'ECC_NIST_P256' | 'ECC_NIST_P384' | 'ECC_NIST_P521' | 'RSA_3072' | 'ECC_NIST_EDWARDS25519' | 'RSA_2048' | 'ECC_SECG_P256K1';

const keyFor = (spec: Spec): { privateKey: KeyObject; der: Buffer } => {
  const pair =
    spec === 'ECC_NIST_EDWARDS25519'
      ? generateKeyPairSync('ed25519')
      : spec.startsWith('RSA_')
        ? generateKeyPairSync('rsa', { modulusLength: Number(spec.slice(4)) })
        : generateKeyPairSync('ec', { namedCurve: { ECC_NIST_P256: 'P-256', ECC_NIST_P384: 'P-384', ECC_NIST_P521: 'P-521', ECC_SECG_P256K1: 'secp256k1' }[spec as 'ECC_NIST_P256'] });
  return { privateKey: pair.privateKey, der: pair.publicKey.export({ format: 'der', type: 'spki' }) };
};

/** Signs as KMS's ED25519_SHA_512 does (RAW only). ECDSA and RSA are proven against moto. */
const kmsEd25519 = (calls: Array<{ messageType: string; algorithm: string; size: number }> = []): KmsApi => {
  const { privateKey, der } = keyFor('ECC_NIST_EDWARDS25519');
  return {
    getPublicKey: async (keyId) => ({ keyArn: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`, keySpec: 'ECC_NIST_EDWARDS25519', keyUsage: 'SIGN_VERIFY', publicKeyDer: der }),
    sign: async ({ message, messageType, algorithm }) => {
      calls.push({ messageType, algorithm, size: message.length });
      if (algorithm !== 'ED25519_SHA_512' || messageType !== 'RAW') throw new Error(`KMS refuses ${algorithm}/${messageType} for ECC_NIST_EDWARDS25519`);
      if (message.length > 4096) throw new Error('KMS ValidationException: message longer than 4096 bytes');
      return cryptoSign(null, message, privateKey);
    },
  };
};

/** RSA as KMS signs it: RAW messages are hashed by KMS, DIGEST messages are the SHA-512 itself. */
const kmsRsa = (calls: Array<{ messageType: string; algorithm: string; size: number }>): KmsApi => {
  const { privateKey, der } = keyFor('RSA_3072');
  return {
    getPublicKey: async (keyId) => ({ keyArn: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`, keySpec: 'RSA_3072', keyUsage: 'SIGN_VERIFY', publicKeyDer: der }),
    sign: async ({ message, messageType, algorithm }) => {
      calls.push({ messageType, algorithm, size: message.length });
      if (algorithm !== 'RSASSA_PKCS1_V1_5_SHA_512') throw new Error(`unexpected ${algorithm}`);
      if (messageType === 'RAW') return cryptoSign('sha512', message, privateKey);
      if (message.length !== 64) throw new Error('KMS ValidationException: DIGEST must be 64 bytes for SHA-512');
      const digestInfo = Buffer.concat([Buffer.from('3051300d060960864801650304020305000440', 'hex'), message]);
      return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo);
    },
  };
};

describe('KMS CA store, pure core', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it.each(['ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'RSA_3072', 'ECC_NIST_EDWARDS25519'] as const)('ok/%s public key converts to the same key OpenSSH would print', (spec) => {
    const { der } = keyFor(spec);
    const key = sshKeyFromSpki(der, spec, 'k');
    const expected = { ECC_NIST_P256: 'ecdsa-sha2-nistp256', ECC_NIST_P384: 'ecdsa-sha2-nistp384', ECC_NIST_P521: 'ecdsa-sha2-nistp521', RSA_3072: 'ssh-rsa', ECC_NIST_EDWARDS25519: 'ssh-ed25519' }[spec];
    expect(key.type).toBe(expected);
    // The key round-trips through the strict OpenSSH parser.
    expect(parsePublicKey(formatPublicKey(key))).toEqual(key);
  });

  it.each(['RSA_2048', 'ECC_SECG_P256K1'] as const)('fail/key spec %s is refused with CaKeyUnavailable', (spec) => {
    expect(() => sshKeyFromSpki(keyFor(spec).der, spec, 'k')).toThrow(expect.objectContaining({ code: 'CaKeyUnavailable' }));
  });

  it('fail/a public key that does not match its key spec is refused', () => {
    expect(() => sshKeyFromSpki(keyFor('ECC_NIST_P256').der, 'RSA_4096', 'k')).toThrow(expect.objectContaining({ code: 'CaKeyUnavailable' }));
  });

  it.each([
    ['P-256', 32],
    ['P-384', 48],
    ['P-521', 66],
  ] as const)('ok/DER ECDSA signatures on %s re-encode to r||s that node verifies', (curve, size) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    for (let i = 0; i < 50; i += 1) {
      const data = Buffer.from(`message ${i}`);
      const hash = size === 32 ? 'sha256' : size === 48 ? 'sha384' : 'sha512';
      const der = cryptoSign(hash, data, { key: privateKey, dsaEncoding: 'der' });
      const p1363 = derEcdsaToP1363(der, size);
      expect(p1363.length).toBe(2 * size);
      expect(verify(hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, p1363)).toBe(true);
    }
  });

  it.each([
    ['empty', ''],
    ['not a sequence', '020101'],
    ['trailing bytes', '3006020101020101ff'],
    ['negative r', '3006020180020101'],
    ['oversized r', `3026022101${'ff'.repeat(32)}020101`],
  ])('fail/malformed DER signature (%s) is CaKeyUnavailable', (_name, hex) => {
    expect(() => derEcdsaToP1363(Buffer.from(hex, 'hex'), 32)).toThrow(expect.objectContaining({ code: 'CaKeyUnavailable' }));
  });

  it('ok/Ed25519 signs RAW with ED25519_SHA_512; ssh-keygen reads the certificate and the signature verifies', async () => {
    const calls: Array<{ messageType: string; algorithm: string; size: number }> = [];
    const signer = await kmsCaSigner(kmsEd25519(calls), 'ed');
    const subject = formatPublicKey(sshKeyFromSpki(keyFor('ECC_NIST_EDWARDS25519').der, 'ECC_NIST_EDWARDS25519', 's'));
    const line = await signCert({ signer, publicLine: formatPublicKey(signer.publicKey), privateText: '' }, subject, { principals: ['alice@i-0123456789abcdef0'] });
    expect(calls).toEqual([expect.objectContaining({ messageType: 'RAW', algorithm: 'ED25519_SHA_512' })]);
    const cert = parseCertificate(line);
    expect(verifySignature(signer.publicKey, cert.signedData, cert.signature)).toBe(true);
    const dir = tempDir('lkp-kms-');
    dirs.push(dir);
    const info = await certInfo(line, dir);
    expect(info).toContain('Signing CA: ED25519');
    expect(info).toContain('alice@i-0123456789abcdef0');
  });

  it('fail/an Ed25519 certificate over the 4096-byte RAW limit is refused before KMS is called', async () => {
    const calls: Array<{ messageType: string; algorithm: string; size: number }> = [];
    const signer = await kmsCaSigner(kmsEd25519(calls), 'ed');
    await expect(signer.sign(Buffer.alloc(KMS_RAW_MESSAGE_LIMIT + 1))).rejects.toMatchObject({ code: 'BadRequest' });
    expect(calls).toHaveLength(0);
    await expect(signer.sign(Buffer.alloc(KMS_RAW_MESSAGE_LIMIT))).resolves.toBeInstanceOf(Buffer);
  });

  it('ok/messages up to 4096 bytes go RAW, larger ones as a SHA-512 DIGEST that still verifies (moto has no DIGEST)', async () => {
    const calls: Array<{ messageType: string; algorithm: string; size: number }> = [];
    const signer = await kmsCaSigner(kmsRsa(calls), 'rsa');
    for (const size of [100, KMS_RAW_MESSAGE_LIMIT, KMS_RAW_MESSAGE_LIMIT + 1, 20_000]) {
      const data = Buffer.alloc(size, 7);
      expect(verifySignature(signer.publicKey, data, await signer.sign(data))).toBe(true);
    }
    expect(calls.map((c) => `${c.messageType}:${c.size}`)).toEqual(['RAW:100', 'RAW:4096', 'DIGEST:64', 'DIGEST:64']);
  });

  it('fail/a signature that does not verify against the public key never leaves the store', async () => {
    const other = keyFor('ECC_NIST_EDWARDS25519');
    const api = kmsEd25519();
    const lying: KmsApi = { ...api, sign: async ({ message }) => cryptoSign(null, message, other.privateKey) };
    const signer = await kmsCaSigner(lying, 'ed');
    await expect(signer.sign(Buffer.from('x'))).rejects.toMatchObject({ code: 'CaKeyUnavailable' });
  });

  it('fail/a key whose usage is not SIGN_VERIFY is refused', async () => {
    const api = kmsEd25519();
    const wrong: KmsApi = { ...api, getPublicKey: async (id) => ({ ...(await api.getPublicKey(id)), keyUsage: 'ENCRYPT_DECRYPT' }) };
    await expect(kmsCaSigner(wrong, 'ed')).rejects.toMatchObject({ code: 'CaKeyUnavailable' });
  });

  it('ok/a key set publishes every key and signs with the first', async () => {
    const set = await kmsCaKeySet(kmsEd25519(), ['a', 'b']);
    expect(set.publicLines).toHaveLength(2);
    expect(formatPublicKey(set.signer.publicKey)).toBe(set.publicLines[0]);
  });
});

describe('signer with a KMS Ed25519 CA: the 4096-byte limit is checked before a join token is spent', () => {
  it('fail/a request whose certificate would be too large to sign is refused (BadRequest) without spending the token; the token then works', async () => {
    const calls: Array<{ messageType: string; algorithm: string; size: number }> = [];
    const signer = await kmsCaSigner(kmsEd25519(calls), 'ed');
    const caSet = { signer, publicLines: [formatPublicKey(signer.publicKey)] };
    const now = () => Math.floor(Date.now() / 1000);
    const tokenKey = randomBytes(32);
    const config = parseSignerConfig(
      { version: 1, serverId: 'lkp-test', hostCa: { store: 'file', paths: ['h'] }, userCa: { store: 'file', paths: ['u'] }, rules: [{ name: 'joined', for: 'host', method: 'join-token', principals: ['*'] }] },
      '/nonexistent/signer.json',
    );
    const records: AuditRecord[] = [];
    const handler = createSignerHandler({
      config,
      caKeys: async () => ({ host: caSet, user: caSet }),
      verifiers: { 'join-token': joinTokenVerifier({ key: localJoinTokenMac(tokenKey), serverId: 'lkp-test', ledger: memoryTokenLedger(now), now }) },
      audit: (r) => records.push(r),
      now,
    });
    // Twelve long host names and a 16384-bit RSA host key (the largest lkp accepts): that
    // certificate is over 4096 bytes; the same names with an ed25519 key are well under.
    const names = Array.from({ length: 12 }, (_, i) => `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}-${i}`);
    const token = createJoinToken(tokenKey, { v: 1, jti: randomUUID(), aud: 'lkp-test', for: 'host', principals: parsePrincipals(names), iat: now(), exp: now() + 600 });
    const modulus = randomBytes(2048);
    modulus[0] = 0xc0 | (modulus[0] as number);
    modulus[2047] = 1 | (modulus[2047] as number);
    const big = formatPublicKey({ kind: 'rsa', type: 'ssh-rsa', e: Buffer.from([1, 0, 1]), n: modulus, bits: 16384 });
    const small = formatPublicKey(sshKeyFromSpki(keyFor('ECC_NIST_EDWARDS25519').der, 'ECC_NIST_EDWARDS25519', 's'));
    const ask = async (key: string) => (await handler({ version: 1, action: 'host-cert', identity: { method: 'join-token', token }, publicKeys: [key] })) as unknown as Record<string, unknown>;

    expect(await ask(big)).toMatchObject({ error: { code: 'BadRequest' } });
    expect(calls).toHaveLength(0);
    const ok = await ask(small);
    expect(ok.error).toBeUndefined();
    expect(ok.certificates).toHaveLength(1);
    expect(calls).toEqual([expect.objectContaining({ messageType: 'RAW', algorithm: 'ED25519_SHA_512' })]);
    expect(records.map((r) => r.outcome)).toEqual(['denied', 'issued']);
  });
});

describe('signer config: the kms store', () => {
  const base = { version: 1, serverId: 's', hostCa: { store: 'file', paths: ['h'] }, rules: [] };
  it.each([
    'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    'arn:aws:kms:eu-west-1:111122223333:alias/lkp-user-ca',
    'alias/lkp-user-ca',
    '1234abcd-12ab-34cd-56ef-1234567890ab',
    'mrk-1234abcd12ab34cd56ef1234567890ab',
  ])('ok/%s is a key reference', async (id) => {
    const { parseSignerConfig } = await import('../../../src/signer/config.js');
    const cfg = parseSignerConfig({ ...base, userCa: { store: 'kms', keyIds: [id], region: 'us-east-1' } }, '/tmp/signer.json');
    expect(cfg.userCa).toEqual({ store: 'kms', keyIds: [id], region: 'us-east-1' });
  });

  it.each(['', 'key/abc', 'arn:aws:kms:us-east-1:1:key/x', 'alias/has space', 'arn:aws:s3:::bucket'])('fail/%j is ConfigInvalid', async (id) => {
    const { parseSignerConfig } = await import('../../../src/signer/config.js');
    expect(() => parseSignerConfig({ ...base, userCa: { store: 'kms', keyIds: [id] } }, '/tmp/signer.json')).toThrow(expect.objectContaining({ code: 'ConfigInvalid' }));
  });
});
