// SHA-256 of one buffer. crypto.hash (Node 20.12 and later) skips the Hash object that
// createHash builds, which costs more than hashing a key blob; older Node 20 falls back.
import * as nodeCrypto from 'node:crypto';

type OneShot = (algorithm: string, data: Uint8Array, outputEncoding: 'hex' | 'base64') => string;
const oneShot = (nodeCrypto as unknown as { hash?: OneShot }).hash;

export const sha256 = (data: Uint8Array, encoding: 'hex' | 'base64'): string =>
  oneShot !== undefined ? oneShot('sha256', data, encoding) : nodeCrypto.createHash('sha256').update(data).digest(encoding);
