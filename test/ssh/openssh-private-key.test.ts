import { generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePrivateKey } from '../../src/ssh/private-key.js';
import { parsePublicKey, sameKey } from '../../src/ssh/public-key.js';
import { keyObjectSigner, verifySignature } from '../../src/ssh/signature.js';
import { genKey, tempDir, type KeyType } from '../helpers/openssh.js';

describe('OpenSSH private keys (lkp reader)', () => {
  const dir = tempDir();
  for (const t of ['ed25519', 'ecdsa-256', 'ecdsa-384', 'ecdsa-521', 'rsa-3072'] as KeyType[]) {
    it(`ok/reads an ssh-keygen ${t} key, whose signatures verify`, async () => {
      const file = await genKey(dir, `ca-${t}`, t);
      const { privateKey, publicKey } = parsePrivateKey(readFileSync(file, 'utf8'));
      expect(sameKey(publicKey, parsePublicKey(readFileSync(`${file}.pub`, 'utf8')))).toBe(true);
      const data = Buffer.from('to be signed');
      expect(verifySignature(publicKey, data, await keyObjectSigner(privateKey, publicKey).sign(data))).toBe(true);
    });
  }
  it('ok/reads PEM (PKCS#8) keys too', async () => {
    const file = await genKey(dir, 'pem', 'ecdsa-384');
    execFileSync('ssh-keygen', ['-q', '-p', '-N', '', '-P', '', '-m', 'PKCS8', '-f', file]);
    expect(parsePrivateKey(readFileSync(file, 'utf8')).publicKey.type).toBe('ecdsa-sha2-nistp384');
  });
  it('fail/encrypted, truncated, corrupted, too small or non-CA keys are refused', async () => {
    const enc = path.join(dir, 'enc');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', enc]);
    expect(() => parsePrivateKey(readFileSync(enc, 'utf8'))).toThrow(/encrypted/);
    const ok = readFileSync(await genKey(dir, 'ok'), 'utf8');
    const body = ok.split('\n').slice(1, -2).join('');
    const raw = Buffer.from(body, 'base64');
    const wrap = (b: Buffer) => `-----BEGIN OPENSSH PRIVATE KEY-----\n${b.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    expect(() => parsePrivateKey(wrap(raw.subarray(0, raw.length - 40)))).toThrow(/truncated|malformed|corrupt/);
    const flipped = Buffer.from(raw);
    flipped[flipped.length - 60] = (flipped[flipped.length - 60] as number) ^ 0xff;
    expect(() => parsePrivateKey(wrap(flipped))).toThrow();
    const small = readFileSync(await genKey(dir, 'rsa2k', 'rsa-2048'), 'utf8');
    expect(() => parsePrivateKey(small)).toThrow(/at least 3072/);
    // Garbage is not called encrypted (that sent operators looking for a passphrase).
    expect(() => parsePrivateKey('not a key')).toThrow(/is not an OpenSSH or PEM private key/);
    const encryptedPem = generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' } }).privateKey;
    expect(() => parsePrivateKey(encryptedPem)).toThrow(/is encrypted/);
  });
});
