// The signer's fast path from the caller's side, in one process: a join-token key and a
// token ledger held in memory answer without promises (issue 13), and that must not weaken
// anything. One token is spent for one request even when many arrive at once, every
// certificate verifies with OpenSSH, and every decision leaves a complete audit line. The
// same handler over a key and a ledger that answer asynchronously (as KMS and DynamoDB do)
// behaves the same.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SignerResponse } from '../../src/api/response.js';
import { formatAuditLine, type AuditRecord } from '../../src/signer/audit.js';
import { parseSignerConfig, type SignerConfig } from '../../src/signer/config.js';
import { createSignerHandler, type SignerHandler } from '../../src/signer/handle.js';
import { joinTokenVerifier } from '../../src/signer/identity/join-token-verifier.js';
import { localJoinTokenMac, type JoinTokenMac } from '../../src/signer/identity/join-token-key.js';
import { memoryTokenLedger, type TokenLedger } from '../../src/signer/identity/token-ledger.js';
import { buildSigner, buildSignerDeps } from '../../src/signer/runtime.js';
import { formatPublicKey } from '../../src/ssh/public-key.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { certInfo } from '../helpers/openssh.js';

const freshKey = (): string => {
  const x = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x ?? '';
  return formatPublicKey({ kind: 'ed25519', type: 'ssh-ed25519', key: Buffer.from(x, 'base64url') });
};

const hostCert = (token: string, publicKey: string) => ({ version: 1, action: 'host-cert', identity: { method: 'join-token', token }, publicKeys: [publicKey] });
const codeOf = (answer: SignerResponse): string | undefined => ('error' in answer ? answer.error.code : undefined);
const certsOf = (answer: SignerResponse) => ('certificates' in answer ? answer.certificates : []);

describe('join tokens, in-process signer with an in-memory ledger', () => {
  let ca: LocalCa;
  let config: SignerConfig;

  beforeAll(async () => {
    ca = await makeLocalCa();
    const parsed = parseSignerConfig(JSON.parse(readFileSync(ca.config, 'utf8')), ca.config);
    if (!parsed.joinTokens) throw new Error('lkp ca init wrote no joinTokens section');
    config = { ...parsed, joinTokens: { ...parsed.joinTokens, ledger: { store: 'memory' } } };
  });

  /** The local handler, and one whose token key and ledger answer only with promises (as KMS and DynamoDB do). */
  const handlers = async (records: AuditRecord[]): Promise<Array<[string, SignerHandler]>> => {
    const local = await buildSigner(config, { audit: (r) => records.push(r) });
    const key = localJoinTokenMac(Buffer.from(readFileSync(path.join(ca.dir, 'join_token.key'), 'utf8').trim(), 'hex'));
    const remoteKey: JoinTokenMac = { mac: key.mac, verify: key.verify, check: key.check };
    const memory = memoryTokenLedger(() => Math.floor(Date.now() / 1000));
    const remoteLedger: TokenLedger = { redeem: async (...args) => memory.redeem(...args) };
    const deps = await buildSignerDeps(config, { audit: (r) => records.push(r) });
    const now = () => Math.floor(Date.now() / 1000);
    const remote = createSignerHandler({ ...deps, verifiers: { 'join-token': joinTokenVerifier({ key: remoteKey, serverId: config.serverId, ledger: remoteLedger, now }) } });
    return [
      ['local key and ledger', local],
      ['asynchronous key and ledger', remote],
    ];
  };

  it('fail/25 requests at once with one token and 25 keys yield exactly one certificate, on either path', async () => {
    const records: AuditRecord[] = [];
    for (const [, handler] of await handlers(records)) {
      const token = ca.mint({ principals: ['web-7'] });
      const answers = await Promise.all(Array.from({ length: 25 }, freshKey).map((k) => handler(hostCert(token, k))));
      expect(answers.filter((a) => certsOf(a).length === 1)).toHaveLength(1);
      expect(answers.map(codeOf).filter((c) => c !== undefined)).toEqual(Array.from({ length: 24 }, () => 'Unauthenticated'));
    }
    expect(records.filter((r) => r.outcome === 'issued')).toHaveLength(2);
    expect(records.filter((r) => r.outcome === 'denied' && r.code === 'Unauthenticated')).toHaveLength(48);
  });

  it('ok/a certificate from either path verifies with OpenSSH, and its audit line carries every field', async () => {
    const records: AuditRecord[] = [];
    for (const [, handler] of await handlers(records)) {
      const key = freshKey();
      const requestId = randomUUID();
      const answer = await handler(hostCert(ca.mint({ principals: ['web-8'] }), key), requestId);
      const [cert] = certsOf(answer);
      expect(cert).toBeDefined();
      const info = await certInfo(cert?.certificate ?? '');
      expect(info).toContain('host certificate');
      expect(info).toContain(`Serial: ${cert?.serial}`);
      expect(info).toMatch(/Principals:\s+web-8/);
      const record = records.find((r) => r.requestId === requestId);
      expect(record).toMatchObject({
        requestId,
        action: 'host-cert',
        outcome: 'issued',
        method: 'join-token',
        rule: expect.any(String),
        hostId: 'web-8',
        principals: ['web-8'],
        serials: [cert?.serial],
        keyFingerprints: [cert?.keyFingerprint],
        validAfter: cert?.validAfter,
        validBefore: cert?.validBefore,
      });
      expect(record?.caller).toMatch(/^join-token:/);
      // The line is the record as JSON behind its type, in the record's own field order.
      const line = formatAuditLine(record as AuditRecord);
      expect(Object.keys(JSON.parse(line) as object)).toEqual(['type', ...Object.keys(record as object).filter((k) => (record as unknown as Record<string, unknown>)[k] !== undefined)]);
      expect(JSON.parse(line)).toEqual({ type: 'lkp.audit', ...record });
    }
  });

  it('ok/the same request again is issued again and audited as a re-issue; any other key is refused, on either path', async () => {
    const records: AuditRecord[] = [];
    for (const [, handler] of await handlers(records)) {
      const token = ca.mint({ principals: ['web-9'] });
      const key = freshKey();
      expect(certsOf(await handler(hostCert(token, key)))).toHaveLength(1);
      const again = await handler(hostCert(token, key), 'retry-1');
      expect(certsOf(again)).toHaveLength(1);
      expect(records.find((r) => r.requestId === 'retry-1')?.reissue).toBe(true);
      expect(codeOf(await handler(hostCert(token, freshKey())))).toBe('Unauthenticated');
    }
  });

  it('fail/an altered or foreign token is refused before the ledger sees it, on either path', async () => {
    const records: AuditRecord[] = [];
    for (const [, handler] of await handlers(records)) {
      const token = ca.mint({ principals: ['web-10'] });
      const [head, payload, mac] = token.split('.') as [string, string, string];
      const flipped = `${head}.${payload}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
      expect(codeOf(await handler(hostCert(flipped, freshKey())))).toBe('Unauthenticated');
      expect(codeOf(await handler(hostCert(ca.mint({ principals: ['web-10'], aud: 'another-signer' }), freshKey())))).toBe('Unauthenticated');
      // The refused attempts spent nothing: the genuine token still works.
      expect(certsOf(await handler(hostCert(token, freshKey())))).toHaveLength(1);
    }
  });
});
