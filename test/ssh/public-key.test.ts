import { describe, expect, it } from 'vitest';
import { checkCaKey, checkSubjectKey } from '../../src/ssh/key-policy.js';
import { encodePublicKeyBlob, fingerprint, formatPublicKey, parsePublicKey, type PublicKey } from '../../src/ssh/public-key.js';
import { SshWriter } from '../../src/ssh/wire.js';
import { execFileSync } from 'node:child_process';
import { genKey, readPub, tempDir } from '../helpers/openssh.js';

const line = (w: SshWriter, type: string): string => `${type} ${w.toBuffer().toString('base64')}`;

describe('public keys', () => {
  const dir = tempDir();

  it('ok/parses every ssh-keygen key type and fingerprints it like ssh-keygen -l', async () => {
    for (const t of ['ed25519', 'ecdsa-256', 'ecdsa-384', 'ecdsa-521', 'rsa-2048'] as const) {
      const file = await genKey(dir, `k-${t}`, t);
      const pub = readPub(file);
      const key = parsePublicKey(pub);
      expect(formatPublicKey(key, `k-${t}`)).toBe(pub);
      const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`]).toString().split(' ')[1];
      expect(fingerprint(key)).toBe(expected);
    }
  });

  it('ok/FIDO keys: sk-ecdsa-sha2-nistp256 with a real point', async () => {
    const ec = parsePublicKey(readPub(await genKey(dir, 'ec-for-sk', 'ecdsa-256')));
    if (ec.kind !== 'ecdsa') throw new Error('expected ecdsa');
    const w = new SshWriter().string('sk-ecdsa-sha2-nistp256@openssh.com').string('nistp256').string(ec.point).string('ssh:');
    const key = parsePublicKey(line(w, 'sk-ecdsa-sha2-nistp256@openssh.com'));
    expect(key.kind).toBe('sk-ecdsa');
    expect(checkSubjectKey(key, 'user')).toBe(key);
    expect(() => checkSubjectKey(key, 'host')).toThrow(/FIDO/);
  });

  const bad: Array<[string, () => string, RegExp]> = [
    ['DSA', () => line(new SshWriter().string('ssh-dss').mpint(Buffer.from([1])).mpint(Buffer.from([1])).mpint(Buffer.from([1])).mpint(Buffer.from([1])), 'ssh-dss'), /DSA keys are refused/],
    ['unknown type', () => line(new SshWriter().string('ssh-foo').string(Buffer.alloc(32)), 'ssh-foo'), /unsupported key type/],
    ['ed25519 of the wrong size', () => line(new SshWriter().string('ssh-ed25519').string(Buffer.alloc(31)), 'ssh-ed25519'), /32 bytes/],
    ['trailing bytes', () => line(new SshWriter().string('ssh-ed25519').string(Buffer.alloc(32, 1)).raw(Buffer.from([0])), 'ssh-ed25519'), /trailing bytes/],
    ['truncated blob', () => `ssh-ed25519 ${new SshWriter().string('ssh-ed25519').uint32(32).toBuffer().toString('base64')}`, /truncated/],
    ['type disagrees with blob', () => line(new SshWriter().string('ssh-ed25519').string(Buffer.alloc(32, 1)), 'ecdsa-sha2-nistp256'), /disagrees/],
    ['RSA exponent 3', () => line(new SshWriter().string('ssh-rsa').mpint(Buffer.from([3])).mpint(Buffer.alloc(256, 0xff)), 'ssh-rsa'), /weak/],
    ['RSA even exponent', () => line(new SshWriter().string('ssh-rsa').mpint(Buffer.from([1, 0, 2])).mpint(Buffer.alloc(256, 0xff)), 'ssh-rsa'), /weak/],
    ['ECDSA point off the curve', () => line(new SshWriter().string('ecdsa-sha2-nistp256').string('nistp256').string(Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)])), 'ecdsa-sha2-nistp256'), /not on the curve/],
    ['ECDSA curve mismatch', () => line(new SshWriter().string('ecdsa-sha2-nistp256').string('nistp384').string(Buffer.alloc(65, 4)), 'ecdsa-sha2-nistp256'), /blob says nistp384/],
    ['a certificate instead of a key', () => line(new SshWriter().string('ssh-ed25519-cert-v01@openssh.com').string(Buffer.alloc(32)), 'ssh-ed25519-cert-v01@openssh.com'), /certificate was given/],
    ['bad base64', () => 'ssh-ed25519 AAAA$$$', /base64/],
    ['two lines', () => 'ssh-ed25519 AAAA\nssh-ed25519 AAAA', /single line/],
    ['a CR inside', () => 'ssh-ed25519 AAAA\rssh-ed25519 AAAA', /single line/],
    ['a NUL inside', () => 'ssh-ed25519 AAAA\0x', /single line/],
    ['two trailing newlines', () => 'ssh-ed25519 AAAA\n\n', /single line/],
    ['empty', () => '', /TYPE BASE64/],
    ['non-minimal mpint', () => line(new SshWriter().string('ssh-rsa').string(Buffer.from([0, 1, 0, 1])).mpint(Buffer.alloc(256, 0xff)), 'ssh-rsa'), /minimally/],
  ];
  for (const [name, make, why] of bad) {
    it(`fail/${name}`, () => {
      expect(() => parsePublicKey(make())).toThrow(why);
    });
  }

  it('fail/RSA below 2048 bits for subjects and below 3072 for CAs', async () => {
    const small = parsePublicKey(readPub(await genKey(dir, 'rsa1024', 'rsa-1024')));
    expect(() => checkSubjectKey(small, 'user')).toThrow(/too small/);
    const mid = parsePublicKey(readPub(await genKey(dir, 'rsa2048', 'rsa-2048')));
    expect(checkSubjectKey(mid, 'host')).toBe(mid);
    expect(() => checkCaKey(mid)).toThrow(/at least 3072/);
  });

  it('ok/canonical re-encoding round-trips', async () => {
    const key: PublicKey = parsePublicKey(readPub(await genKey(dir, 'rt', 'ecdsa-384')));
    expect(parsePublicKey(`${key.type} ${encodePublicKeyBlob(key).toString('base64')}`)).toEqual(key);
  });

  it('ok/the blob a parsed key remembers is the one re-encoding builds, for every key type', async () => {
    const sk = 'sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIGZ0dGd2hZYYB/7gUHDOPLDn0z7fkDaqDzhoj4Dx0zjTAAAABHNzaDo=';
    const lines = [sk];
    for (const t of ['ed25519', 'ecdsa-256', 'ecdsa-521', 'rsa-2048'] as const) lines.push(readPub(await genKey(dir, `blob-${t}`, t)));
    for (const l of lines) {
      const key = parsePublicKey(l);
      // A structural copy is not the parsed object: its blob is rebuilt from the fields.
      const rebuilt = encodePublicKeyBlob({ ...key });
      expect(encodePublicKeyBlob(key).equals(rebuilt), key.type).toBe(true);
      expect(rebuilt.toString('base64')).toBe(l.split(' ')[1]);
    }
  });

  it('ok/one trailing LF or CRLF is allowed on a key line', async () => {
    const pub = readPub(await genKey(dir, 'nl'));
    expect(parsePublicKey(`${pub}\n`)).toEqual(parsePublicKey(pub));
    expect(parsePublicKey(`${pub}\r\n`)).toEqual(parsePublicKey(pub));
  });
});
