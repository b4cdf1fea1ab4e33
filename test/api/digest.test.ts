import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { requestDigest } from '../../src/api/digest.js';
import { generateOpenSshKey } from '../../src/ssh/generate-key.js';
import { encodePublicKeyBlob, parsePublicKey } from '../../src/ssh/public-key.js';

// The digest binds an identity proof to its request; clients and signers of different
// versions must agree on it byte for byte.
describe('requestDigest', () => {
  const ed = parsePublicKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZ0dGd2hZYYB/7gUHDOPLDn0z7fkDaqDzhoj4Dx0zjT');

  it('ok/a fixed request has the digest it always had', () => {
    expect(requestDigest({ action: 'user-cert', publicKeys: [ed], login: 'üser', target: '' })).toBe('feea3bfd04a985e5ba2c74decfb6b744b09567a6b2ac07ab49eb46434c45438d');
  });

  it('ok/equals SHA-256 over name + uint32 length + value per field, for every key type', () => {
    const keys = (['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-3072'] as const).map((alg) => parsePublicKey(generateOpenSshKey(alg, 'k').publicLine));
    const reference = (action: string, blobs: Buffer[], login = '', target = ''): string => {
      const h = createHash('sha256');
      const field = (name: string, value: Buffer): void => {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(value.length);
        h.update(name).update(len).update(value);
      };
      field('lkp-request-v1', Buffer.from(action));
      for (const b of blobs) field('key', b);
      field('login', Buffer.from(login));
      field('target', Buffer.from(target));
      return h.digest('hex');
    };
    expect(requestDigest({ action: 'host-cert', publicKeys: keys })).toBe(reference('host-cert', keys.map(encodePublicKeyBlob)));
    const target = 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0';
    expect(requestDigest({ action: 'user-cert', publicKeys: [keys[4] as (typeof keys)[number]], login: 'ec2-user', target })).toBe(reference('user-cert', [encodePublicKeyBlob(keys[4] as (typeof keys)[number])], 'ec2-user', target));
  });
});
