// Policy rules as operators write them in the signer config, parsed into typed values.
// Default deny: a request that no rule matches gets no certificate.
import { parseDuration } from '../../duration.js';
import { readObject, type ObjectReader } from '../../schema.js';
import type { CertType } from '../../ssh/key-policy.js';
import { parseLogin, type Login } from '../../ssh/names.js';
import { KNOWN_USER_EXTENSIONS, type Extension } from '../../ssh/certificate.js';
import { parseSourceAddress, type Cidr } from '../../ssh/source-address.js';
import { compileGlob } from './glob.js';

export type IdentityMethodName = 'join-token' | 'aws';

/** Instance selectors: every listed dimension must match; an omitted one matches all. */
export interface InstanceSelector {
  readonly accounts?: readonly string[];
  readonly regions?: readonly string[];
  /** Tag key -> allowed values (glob). */
  readonly tags?: Readonly<Record<string, readonly RegExp[]>>;
}

interface RuleBase {
  readonly name: string;
  readonly for: CertType;
  readonly maxValidity?: number;
}

export interface JoinTokenRule extends RuleBase {
  readonly method: 'join-token';
  /** Principals a token may grant under this rule. */
  readonly principals: readonly RegExp[];
  /** Patterns without wildcards: only these may grant a name shaped like an EC2 name. */
  readonly literalPrincipals: ReadonlySet<string>;
  readonly forceCommand?: string;
  readonly sourceAddress?: readonly Cidr[];
  readonly extensions?: readonly Extension[];
}

export interface AwsHostRule extends RuleBase {
  readonly for: 'host';
  readonly method: 'aws';
  readonly accounts: readonly string[];
  readonly regions?: readonly string[];
  /** Host role names (glob): the role in `assumed-role/ROLE/i-...`. */
  readonly roles: readonly RegExp[];
  /** Instance profile ARNs or names (glob) the instance must carry. */
  readonly instanceProfiles?: readonly RegExp[];
  readonly tags?: InstanceSelector['tags'];
  /** Instance tag whose comma-separated value adds principals (only when set here). */
  readonly extraPrincipalsTag?: string;
  readonly extraPrincipals?: readonly RegExp[];
}

export interface AwsUserRule extends RuleBase {
  readonly for: 'user';
  readonly method: 'aws';
  /** Caller ARN patterns (glob), e.g. `arn:aws:sts::*:assumed-role/AWSReservedSSO_Admin_*\/*`. */
  readonly callers: readonly RegExp[];
  readonly instances: InstanceSelector;
  readonly logins: readonly Login[] | '*';
  readonly forceCommand?: string;
  readonly sourceAddress?: readonly Cidr[];
  /** Certificate extensions; absent: OpenSSH's defaults, or none when a command is forced. */
  readonly extensions?: readonly Extension[];
  /** Shown to a person this rule matched but who asked for a login it does not allow. */
  readonly message?: string;
}

export type PolicyRule = JoinTokenRule | AwsHostRule | AwsUserRule;

const globs = (r: ObjectReader, field: string): RegExp[] => r.stringArray(field, { min: 1, max: 256, maxLength: 2048 }).map(compileGlob);

const parseTags = (r: ObjectReader, field: string): Record<string, RegExp[]> | undefined => {
  if (!r.has(field)) return undefined;
  const raw = r.value[field];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return r.fail(field, 'must be an object of tag name to allowed values');
  const out = Object.create(null) as Record<string, RegExp[]>;
  for (const [key, values] of Object.entries(raw as Record<string, unknown>)) {
    const list = typeof values === 'string' ? [values] : values;
    if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string')) r.fail(`${field}.${key}`, 'must be a string or a list of strings');
    out[key] = (list as string[]).map(compileGlob);
  }
  return out;
};

const accountList = (r: ObjectReader, field: string): string[] => {
  const list = r.stringArray(field, { min: 1, max: 1000 });
  list.forEach((a, i) => /^(\d{12}|\*)$/.test(a) || r.fail(`${field}[${i}]`, 'must be a 12-digit account id or "*"'));
  return list;
};

const common = (r: ObjectReader, type: CertType) => ({
  name: r.string('name', { max: 128 }),
  for: type,
  ...(r.has('maxValidity') ? { maxValidity: parseDuration(r.value.maxValidity, `${r.path}.maxValidity`, 'ConfigInvalid') } : {}),
});

const parseExtensions = (r: ObjectReader): Extension[] => {
  const list = r.value.extensions;
  if (!Array.isArray(list)) return r.fail('extensions', 'must be a list of extension names (may be empty)');
  list.forEach((e, i) => (typeof e === 'string' && KNOWN_USER_EXTENSIONS.has(e)) || r.fail(`extensions[${i}]`, `must be one of ${[...KNOWN_USER_EXTENSIONS].join(', ')}`));
  if (new Set(list).size !== list.length) r.fail('extensions', 'must not repeat a name');
  return list as Extension[];
};

const userOptions = (r: ObjectReader) => ({
  ...(r.has('forceCommand') ? { forceCommand: r.string('forceCommand', { max: 1024 }) } : {}),
  ...(r.has('sourceAddress') ? { sourceAddress: wrap(r, 'sourceAddress', () => parseSourceAddress(r.value.sourceAddress)) } : {}),
  ...(r.has('extensions') ? { extensions: parseExtensions(r) } : {}),
});

const wrap = <T>(r: ObjectReader, field: string, fn: () => T): T => {
  try {
    return fn();
  } catch (error) {
    return r.fail(field, (error as Error).message);
  }
};

const parseRule = (value: unknown, at: string): PolicyRule => {
  const head = readObject(value, at, Object.keys((value ?? {}) as object), 'ConfigInvalid');
  const type = head.oneOf('for', ['host', 'user'] as const);
  const method = head.oneOf('method', ['join-token', 'aws'] as const);
  if (method === 'join-token') {
    const r = readObject(value, at, ['name', 'for', 'method', 'principals', 'maxValidity', 'forceCommand', 'sourceAddress', 'extensions'], 'ConfigInvalid');
    if (type === 'host' && (r.has('forceCommand') || r.has('sourceAddress') || r.has('extensions'))) r.fail('', 'host rules take no forceCommand, sourceAddress or extensions');
    const literal = r.stringArray('principals', { min: 1, max: 256, maxLength: 2048 }).filter((p) => !/[*?]/.test(p));
    return { ...common(r, type), method, principals: globs(r, 'principals'), literalPrincipals: new Set(literal), ...userOptions(r) };
  }
  if (type === 'host') {
    const r = readObject(value, at, ['name', 'for', 'method', 'accounts', 'regions', 'roles', 'instanceProfiles', 'tags', 'extraPrincipalsTag', 'extraPrincipals', 'maxValidity'], 'ConfigInvalid');
    const rule: AwsHostRule = {
      ...common(r, 'host'),
      for: 'host',
      method,
      accounts: accountList(r, 'accounts'),
      roles: globs(r, 'roles'),
      ...(r.has('regions') ? { regions: r.stringArray('regions', { min: 1 }) } : {}),
      ...(r.has('instanceProfiles') ? { instanceProfiles: globs(r, 'instanceProfiles') } : {}),
      ...(r.has('tags') ? { tags: parseTags(r, 'tags') as Record<string, RegExp[]> } : {}),
      ...(r.has('extraPrincipalsTag') ? { extraPrincipalsTag: r.string('extraPrincipalsTag', { max: 128 }) } : {}),
      ...(r.has('extraPrincipals') ? { extraPrincipals: globs(r, 'extraPrincipals') } : {}),
    };
    if (rule.extraPrincipalsTag !== undefined && rule.extraPrincipals === undefined) r.fail('extraPrincipals', 'is required with extraPrincipalsTag (which names may the tag add?)');
    return rule;
  }
  const r = readObject(value, at, ['name', 'for', 'method', 'callers', 'instances', 'logins', 'maxValidity', 'forceCommand', 'sourceAddress', 'extensions', 'message'], 'ConfigInvalid');
  const inst = r.object('instances', ['accounts', 'regions', 'tags']);
  const logins = r.stringArray('logins', { min: 1, max: 256 });
  return {
    ...common(r, 'user'),
    for: 'user',
    method,
    callers: globs(r, 'callers'),
    instances: {
      ...(inst.has('accounts') ? { accounts: accountList(inst, 'accounts') } : {}),
      ...(inst.has('regions') ? { regions: inst.stringArray('regions', { min: 1 }) } : {}),
      ...(inst.has('tags') ? { tags: parseTags(inst, 'tags') as Record<string, RegExp[]> } : {}),
    },
    logins: logins.length === 1 && logins[0] === '*' ? '*' : logins.map((l, i) => wrap(r, `logins[${i}]`, () => parseLogin(l))),
    ...userOptions(r),
    ...(r.has('message') ? { message: r.string('message', { max: 512 }) } : {}),
  };
};

/** Parses the `rules` list; an empty list is legal and denies everything. */
export const parsePolicyRules = (list: unknown[], at: string): PolicyRule[] => list.map((rule, i) => parseRule(rule, `${at}[${i}]`));
