// The joinTokens section is parsed strictly: one key (a file or a KMS key), at most one
// ledger (a file or a DynamoDB table), nothing unknown.
import { describe, expect, it } from 'vitest';
import { parseSignerConfig } from '../../src/signer/config.js';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/0b6f4a8e-5c1d-4e2f-9a3b-7c8d9e0f1a2b';
const base = { version: 1, serverId: 'lkp-test', hostCa: { store: 'file', paths: ['host_ca'] }, userCa: { store: 'file', paths: ['user_ca'] }, rules: [] };
const parse = (joinTokens: unknown) => parseSignerConfig({ ...base, joinTokens }, '/etc/lkp/signer.json');

describe('joinTokens config', () => {
  it('ok/a KMS key with a DynamoDB ledger, and the file forms of both', () => {
    expect(parse({ kmsKey: { keyId: KEY_ARN, region: 'eu-west-1' }, ledger: { store: 'dynamodb', table: 'lkp-join-tokens' } }).joinTokens).toEqual({
      key: { store: 'kms', keyId: KEY_ARN, region: 'eu-west-1' },
      ledger: { store: 'dynamodb', table: 'lkp-join-tokens' },
      maxTtl: 3600,
    });
    expect(parse({ kmsKey: { keyId: 'alias/lkp-join-tokens' }, ledger: { store: 'dynamodb', table: 'lkp-join-tokens', region: 'eu-west-1' }, maxTtl: '10m' }).joinTokens).toMatchObject({ ledger: { region: 'eu-west-1' }, maxTtl: 600 });
    expect(parse({ keyFile: 'join_token.key', ledgerFile: 'used.jsonl' }).joinTokens).toEqual({ key: { store: 'file', file: '/etc/lkp/join_token.key' }, ledger: { store: 'file', file: '/etc/lkp/used.jsonl' }, maxTtl: 3600 });
    // No ledger at all: a spent token would work again after a restart (review finding).
    expect(() => parse({ keyFile: 'join_token.key' })).toThrow(expect.objectContaining({ code: 'ConfigInvalid' }));
  });

  it.each([
    ['both keys', { keyFile: 'k', kmsKey: { keyId: KEY_ARN } }],
    ['no key', { ledgerFile: 'used.jsonl' }],
    ['both ledgers', { keyFile: 'k', ledgerFile: 'used.jsonl', ledger: { store: 'dynamodb', table: 'lkp-join-tokens' } }],
    ['an unknown ledger store', { keyFile: 'k', ledger: { store: 's3', table: 'lkp-join-tokens' } }],
    ['a ledger without a table', { keyFile: 'k', ledger: { store: 'dynamodb' } }],
    ['a table name DynamoDB refuses', { keyFile: 'k', ledger: { store: 'dynamodb', table: 'no spaces' } }],
    ['an unknown ledger field', { keyFile: 'k', ledger: { store: 'dynamodb', table: 'lkp-join-tokens', ttl: 5 } }],
    ['a KMS key that is no key id, ARN or alias', { kmsKey: { keyId: 'my key' } }],
    ['an unknown kmsKey field', { kmsKey: { keyId: KEY_ARN, spec: 'HMAC_256' } }],
  ])('fail/%s is ConfigInvalid', (_, joinTokens) => {
    expect(() => parse(joinTokens)).toThrow(expect.objectContaining({ code: 'ConfigInvalid' }));
  });
});
