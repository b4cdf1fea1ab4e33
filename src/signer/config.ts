// The signer's configuration file: CA key locations, join-token settings, validity
// limits and the policy rules. Parsed strictly (unknown fields are errors naming their
// path) into a frozen, typed value; relative paths resolve against the file's folder.
import path from 'node:path';
import { LkpError } from '../errors.js';
import { parseDuration } from '../duration.js';
import { readObject, type ObjectReader } from '../schema.js';
import type { CertType } from '../ssh/key-policy.js';
import { parsePolicyRules, type PolicyRule } from './policy/rules.js';

/**
 * A CA rotation in progress (`lkp signer ca add-next|promote|retire`): with `next-added`
 * the store lists [current, next] and current signs; with `promoted` it lists [next,
 * previous] and next signs. Times are ISO 8601.
 */
export interface CaRotation {
  readonly phase: 'next-added' | 'promoted';
  readonly addedAt: string;
  readonly promotedAt?: string;
}

type CaStoreKeys =
  | { readonly store: 'file'; readonly paths: readonly string[] }
  | { readonly store: 'secretsmanager'; readonly secretIds: readonly string[]; readonly region?: string }
  | { readonly store: 'ssm'; readonly names: readonly string[]; readonly region?: string }
  /** Keys held in KMS and used only through kms:Sign (key id, key ARN, alias or alias ARN). */
  | { readonly store: 'kms'; readonly keyIds: readonly string[]; readonly region?: string };

export type CaStoreConfig = CaStoreKeys & { readonly rotation?: CaRotation };

export interface RotationSettings {
  /**
   * Seconds every host needs to pick up a new CA key list: lkp-host-renew.timer's interval
   * plus its jitter (12 h + 1 h). `promote` and `retire` wait this long after the previous phase.
   */
  readonly hostRenewalInterval: number;
}

/** The default: OnUnitActiveSec=12h plus RandomizedDelaySec=1h of lkp-host-renew.timer. */
export const DEFAULT_HOST_RENEWAL_INTERVAL = 13 * 3600;

/** A KMS key id, key ARN, alias name or alias ARN. */
const KMS_KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]{1,250}|arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:kms:[a-z0-9-]+:\d{12}:(?:key\/(?:[0-9a-f-]{36}|mrk-[0-9a-f]{32})|alias\/[A-Za-z0-9/_-]{1,250}))$/;

export interface ValidityLimits {
  /** Seconds granted when the request does not ask. */
  readonly default: number;
  /** Hard cap in seconds; requests asking for more are capped. */
  readonly max: number;
}

export interface SignerConfig {
  readonly version: 1;
  /** This signer's audience: identity proofs must name it. */
  readonly serverId: string;
  readonly hostCa: CaStoreConfig;
  readonly userCa: CaStoreConfig;
  readonly joinTokens?: JoinTokenSettings;
  readonly certificates: Readonly<Record<CertType, ValidityLimits>>;
  readonly rules: readonly PolicyRule[];
  readonly aws: AwsSettings;
  readonly authoriser?: AuthoriserSettings;
  /** Absent: the signer serves an empty KRL and `lkp signer revoke` asks for this section. */
  readonly revocations?: RevocationStoreConfig;
  readonly rotation: RotationSettings;
}

/** Where the join-token key lives: a hex file beside the config, or a KMS HMAC_256 key (GenerateMac/VerifyMac). */
export type JoinTokenKeyConfig = { readonly store: 'file'; readonly file: string } | { readonly store: 'kms'; readonly keyId: string; readonly region?: string };

/** Where spent tokens are recorded: memory (one process), files (one machine) or DynamoDB (every signer). */
export type TokenLedgerConfig = { readonly store: 'memory' } | { readonly store: 'file'; readonly file: string } | { readonly store: 'dynamodb'; readonly table: string; readonly region?: string };

/** Where revocations live: a file beside the config (`lkp signer serve`) or a DynamoDB table (Lambda). */
export type RevocationStoreConfig = { readonly store: 'file'; readonly file: string } | { readonly store: 'dynamodb'; readonly table: string; readonly region?: string };

export interface JoinTokenSettings {
  readonly key: JoinTokenKeyConfig;
  readonly ledger: TokenLedgerConfig;
  /** Longest token lifetime, seconds. */
  readonly maxTtl: number;
}

export interface AwsSettings {
  /** Account id -> role the signer assumes to describe instances in that account. */
  readonly crossAccountRoles: Readonly<Record<string, string>>;
  /** Refuse host roles whose trust policy admits anything but ec2.amazonaws.com (default true). */
  readonly requireEc2OnlyHostRoles: boolean;
}

export interface AuthoriserSettings {
  /** Lambda function name or ARN, called after the built-in policy allowed. */
  readonly functionName: string;
  readonly region?: string;
  /** Milliseconds; a slower answer denies. */
  readonly timeoutMs: number;
}

/** Absolute ceilings no config may exceed: a certificate is never a permanent credential. */
export const CEILING: Record<CertType, number> = { host: 366 * 86400, user: 7 * 86400 };
export const DEFAULT_VALIDITY: Record<CertType, ValidityLimits> = {
  host: { default: 30 * 86400, max: 30 * 86400 },
  user: { default: 3600, max: 12 * 3600 },
};

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

const parseRotation = (o: ObjectReader, keyCount: number): CaRotation | undefined => {
  if (!o.has('rotation')) return undefined;
  const r = o.object('rotation', ['phase', 'addedAt', 'promotedAt']);
  const phase = r.oneOf('phase', ['next-added', 'promoted'] as const);
  const time = (field: string): string => {
    const v = r.string(field, { max: 30 });
    if (!ISO_TIME.test(v) || Number.isNaN(Date.parse(v))) r.fail(field, 'must be an ISO 8601 UTC time like 2026-12-01T09:00:00Z');
    return v;
  };
  const addedAt = time('addedAt');
  if (phase === 'promoted' !== r.has('promotedAt')) r.fail('promotedAt', phase === 'promoted' ? 'is required in phase promoted' : 'belongs to phase promoted only');
  // A rotation is exactly one key going out and one coming in.
  if (keyCount !== 2) o.fail('rotation', `a rotation in progress needs exactly two keys (current and next), not ${keyCount}`);
  return { phase, addedAt, ...(phase === 'promoted' ? { promotedAt: time('promotedAt') } : {}) };
};

const parseCaStore = (r: ObjectReader, field: string, base: string): CaStoreConfig => {
  const o = r.object(field, ['store', 'paths', 'secretIds', 'names', 'keyIds', 'region', 'rotation']);
  const store = o.oneOf('store', ['file', 'secretsmanager', 'ssm', 'kms'] as const);
  const region = o.optionalString('region', { max: 32 });
  const keys = ((): CaStoreKeys => {
    switch (store) {
      case 'file':
        return { store, paths: o.stringArray('paths', { min: 1, max: 4 }).map((p) => path.resolve(base, p)) };
      case 'secretsmanager':
        return { store, secretIds: o.stringArray('secretIds', { min: 1, max: 4, maxLength: 2048 }), ...(region ? { region } : {}) };
      case 'ssm':
        return { store, names: o.stringArray('names', { min: 1, max: 4, maxLength: 2048 }), ...(region ? { region } : {}) };
      case 'kms': {
        const keyIds = o.stringArray('keyIds', { min: 1, max: 4, maxLength: 2048 });
        keyIds.forEach((id, i) => {
          if (!KMS_KEY_ID.test(id)) o.fail(`keyIds[${i}]`, 'must be a KMS key id, key ARN, alias/NAME or alias ARN');
        });
        return { store, keyIds, ...(region ? { region } : {}) };
      }
    }
  })();
  const rotation = parseRotation(o, caKeyRefs(keys).length);
  return rotation ? { ...keys, rotation } : keys;
};

/** The key references of a CA store, signing key first (paths, secret ids, names or KMS key ids). */
export const caKeyRefs = (s: CaStoreKeys): readonly string[] => {
  switch (s.store) {
    case 'file':
      return s.paths;
    case 'secretsmanager':
      return s.secretIds;
    case 'ssm':
      return s.names;
    case 'kms':
      return s.keyIds;
  }
};

/** A DynamoDB table name (3-255 of letters, digits, _ - .) or a table ARN. */
const DYNAMODB_TABLE = /^(?:[A-Za-z0-9_.-]{3,255}|arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255})$/;

// `keyFile` or `kmsKey` (exactly one); `ledgerFile` or `ledger` (exactly one: a ledger kept
// only in memory would accept a spent token again after a restart or in a second process).
const parseJoinTokens = (jt: ObjectReader, base: string): JoinTokenSettings => {
  if (jt.has('keyFile') === jt.has('kmsKey')) jt.fail('', 'needs exactly one of keyFile (a hex key file) or kmsKey (a KMS HMAC_256 key)');
  let key: JoinTokenKeyConfig;
  if (jt.has('kmsKey')) {
    const k = jt.object('kmsKey', ['keyId', 'region']);
    const keyId = k.string('keyId', { max: 2048 });
    if (!KMS_KEY_ID.test(keyId)) k.fail('keyId', 'must be a KMS key id, key ARN, alias/NAME or alias ARN');
    const region = k.optionalString('region', { max: 32 });
    key = { store: 'kms', keyId, ...(region ? { region } : {}) };
  } else {
    key = { store: 'file', file: path.resolve(base, jt.string('keyFile')) };
  }
  if (jt.has('ledgerFile') === jt.has('ledger')) {
    jt.fail('', 'needs exactly one of ledgerFile (lkp signer serve: a file beside the config, e.g. "used_tokens.jsonl") or ledger (DynamoDB, for Lambda); without one a spent token would work again after a restart');
  }
  let ledger: TokenLedgerConfig = { store: 'memory' };
  if (jt.has('ledgerFile')) ledger = { store: 'file', file: path.resolve(base, jt.string('ledgerFile')) };
  if (jt.has('ledger')) {
    const l = jt.object('ledger', ['store', 'table', 'region']);
    l.oneOf('store', ['dynamodb'] as const);
    const table = l.string('table', { max: 2048 });
    if (!DYNAMODB_TABLE.test(table)) l.fail('table', 'must be a DynamoDB table name or table ARN');
    const region = l.optionalString('region', { max: 32 });
    ledger = { store: 'dynamodb', table, ...(region ? { region } : {}) };
  }
  return { key, ledger, maxTtl: jt.has('maxTtl') ? parseDuration(jt.value.maxTtl, `${jt.path}.maxTtl`, 'ConfigInvalid') : 3600 };
};

const parseRevocations = (r: ObjectReader, base: string): RevocationStoreConfig => {
  const store = r.oneOf('store', ['file', 'dynamodb'] as const);
  if (store === 'file') {
    const o = readObject(r.value, r.path, ['store', 'file'], 'ConfigInvalid');
    return { store, file: path.resolve(base, o.string('file', { max: 4096 })) };
  }
  const o = readObject(r.value, r.path, ['store', 'table', 'region'], 'ConfigInvalid');
  const table = o.string('table', { max: 2048 });
  if (!DYNAMODB_TABLE.test(table)) o.fail('table', 'must be a DynamoDB table name or table ARN');
  const region = o.optionalString('region', { max: 32 });
  return { store, table, ...(region ? { region } : {}) };
};

const parseLimits = (r: ObjectReader | undefined, type: CertType): ValidityLimits => {
  const d = DEFAULT_VALIDITY[type];
  if (!r) return d;
  const max = r.has('max') ? parseDuration(r.value.max, `${r.path}.max`, 'ConfigInvalid') : d.max;
  const def = r.has('default') ? parseDuration(r.value.default, `${r.path}.default`, 'ConfigInvalid') : Math.min(d.default, max);
  if (max > CEILING[type]) r.fail('max', `must be at most ${CEILING[type] / 86400} days`);
  if (def > max) r.fail('default', 'must not exceed max');
  return { default: def, max };
};

const parseAwsSettings = (r: ObjectReader | undefined): AwsSettings => {
  const roles: Record<string, string> = {};
  const raw = r?.value.crossAccountRoles;
  if (raw !== undefined) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return r!.fail('crossAccountRoles', 'must map account ids to role ARNs');
    for (const [account, arn] of Object.entries(raw as Record<string, unknown>)) {
      if (!/^\d{12}$/.test(account) || typeof arn !== 'string' || !/^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(arn)) {
        r!.fail(`crossAccountRoles.${account.slice(0, 20)}`, 'must map a 12-digit account id to an IAM role ARN');
      }
      roles[account] = arn as string;
    }
  }
  return { crossAccountRoles: roles, requireEc2OnlyHostRoles: r?.boolean('requireEc2OnlyHostRoles', true) ?? true };
};

const parseAuthoriser = (r: ObjectReader): AuthoriserSettings => {
  const region = r.optionalString('region', { max: 32 });
  const timeout = r.has('timeout') ? parseDuration(r.value.timeout, `${r.path}.timeout`, 'ConfigInvalid') : 3;
  if (timeout > 30) r.fail('timeout', 'must be at most 30s');
  return { functionName: r.string('functionName', { max: 256 }), ...(region ? { region } : {}), timeoutMs: timeout * 1000 };
};

/** Parses a signer config document; `file` is used for messages and relative paths. */
export const parseSignerConfig = (doc: unknown, file: string): SignerConfig => {
  const base = path.dirname(path.resolve(file));
  const r = readObject(doc, file, ['version', 'serverId', 'hostCa', 'userCa', 'joinTokens', 'certificates', 'rules', 'aws', 'authoriser', 'revocations', 'rotation', '$comment'], 'ConfigInvalid');
  if (r.value.version !== 1) r.fail('version', 'must be 1');
  const serverId = r.string('serverId', { max: 128 });
  if (!/^[A-Za-z0-9._:-]+$/.test(serverId)) r.fail('serverId', 'may contain only letters, digits and . _ : -');
  const jt = r.optionalObject('joinTokens', ['keyFile', 'kmsKey', 'ledgerFile', 'ledger', 'maxTtl']);
  const certs = r.optionalObject('certificates', ['host', 'user']);
  const rotation = r.optionalObject('rotation', ['hostRenewalInterval']);
  const config: SignerConfig = {
    version: 1,
    serverId,
    hostCa: parseCaStore(r, 'hostCa', base),
    userCa: parseCaStore(r, 'userCa', base),
    ...(jt ? { joinTokens: parseJoinTokens(jt, base) } : {}),
    certificates: {
      host: parseLimits(certs?.optionalObject('host', ['default', 'max']), 'host'),
      user: parseLimits(certs?.optionalObject('user', ['default', 'max']), 'user'),
    },
    rules: parsePolicyRules(r.array('rules'), `${file}.rules`),
    aws: parseAwsSettings(r.optionalObject('aws', ['crossAccountRoles', 'requireEc2OnlyHostRoles'])),
    ...(r.has('authoriser') ? { authoriser: parseAuthoriser(r.object('authoriser', ['functionName', 'region', 'timeout'])) } : {}),
    ...(r.has('revocations') ? { revocations: parseRevocations(r.object('revocations', ['store', 'file', 'table', 'region']), base) } : {}),
    rotation: { hostRenewalInterval: rotation?.has('hostRenewalInterval') ? parseDuration(rotation.value.hostRenewalInterval, `${rotation.path}.hostRenewalInterval`, 'ConfigInvalid') : DEFAULT_HOST_RENEWAL_INTERVAL },
  };
  return Object.freeze(config);
};

/** Reads and parses a signer config file. */
export const loadSignerConfig = async (file: string): Promise<SignerConfig> => {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new LkpError('ConfigInvalid', `cannot read signer config ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new LkpError('ConfigInvalid', `signer config ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseSignerConfig(doc, file);
};
