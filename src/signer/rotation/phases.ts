// CA rotation as data (pure): each step rewrites one CA role's entry of a signer config
// document and says why it may not happen yet. The document is edited as written (relative
// paths stay relative, unknown-to-us fields stay put); the caller parses the result before
// it replaces anything.
//   steady      [current]                     current signs
//   add-next    [current, next]  next-added   current signs, both published
//   promote     [next, current]  promoted     next signs, both published
//   retire      [next]                        the old key is gone from ca-keys
import { LkpError } from '../../errors.js';
import { caKeyRefs, parseSignerConfig, type CaStoreConfig, type SignerConfig } from '../config.js';

export type CaRole = 'host' | 'user';
export type RotationStep = 'add-next' | 'promote' | 'retire';
export type RotationPhase = 'steady' | 'next-added' | 'promoted';

type Doc = Record<string, unknown>;

const KEY_FIELD: Readonly<Record<CaStoreConfig['store'], string>> = { file: 'paths', secretsmanager: 'secretIds', ssm: 'names', kms: 'keyIds' };

/** The config field of a CA role. */
export const caField = (role: CaRole): 'hostCa' | 'userCa' => (role === 'host' ? 'hostCa' : 'userCa');

/** The phase a CA role is in. */
export const rotationPhase = (ca: CaStoreConfig): RotationPhase => ca.rotation?.phase ?? 'steady';

/** An ISO time to the second (what the config stores). */
export const isoSeconds = (at: Date): string => new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * How long each step waits after the previous one: every host must have run its renewal
 * timer (it follows ca-keys), and every user certificate a laptop caches must have expired
 * (the cache entry also holds the host CA list that laptop trusts, and a certificate from a
 * retired user CA key would be refused).
 */
export const stepWaitSeconds = (config: SignerConfig): number => Math.max(config.rotation.hostRenewalInterval, config.certificates.user.max);

/** When the next step is allowed: `intervalSeconds` after the previous step. */
export const nextStepAllowedAt = (ca: CaStoreConfig, intervalSeconds: number): Date | undefined => {
  const since = ca.rotation?.phase === 'promoted' ? ca.rotation.promotedAt : ca.rotation?.addedAt;
  return since ? new Date(Date.parse(since) + intervalSeconds * 1000) : undefined;
};

export interface StepResult {
  /** The new config document (not yet parsed by the caller: it must be, before it is written). */
  readonly doc: Doc;
  /** Set when --force skipped the wait: what the operator accepted. */
  readonly forcedEarly?: { readonly allowedAt: Date };
}

export interface StepInput {
  /** The config document as stored (JSON). */
  readonly doc: unknown;
  /** For messages and relative paths (a file path, or ssm:NAME). */
  readonly source: string;
  readonly role: CaRole;
  readonly now: Date;
  readonly force?: boolean;
  /** add-next only: the next key's reference, as it should be written (path, secret, name or KMS key id). */
  readonly nextKey?: string;
}

const usage = (message: string): never => {
  throw new LkpError('UsageError', message);
};

const waitCheck = (step: RotationStep, ca: CaStoreConfig, config: SignerConfig, input: StepInput): StepResult['forcedEarly'] => {
  const wait = stepWaitSeconds(config);
  const allowedAt = nextStepAllowedAt(ca, wait) as Date;
  if (input.now.getTime() >= allowedAt.getTime()) return undefined;
  if (input.force) return { allowedAt };
  const what = step === 'promote' ? 'hosts that have not renewed since add-next would not trust certificates from the next key' : 'certificates from the old key that hosts and people still hold would stop working';
  throw new LkpError('RotationTooEarly', `${input.role} CA: ${step} is allowed from ${isoSeconds(allowedAt)} (${wait} s after the previous step: rotation.hostRenewalInterval, or certificates.user.max when longer); before that ${what}. --force does it anyway`);
};

/** Applies one rotation step to a role's CA entry. Refuses a step that does not follow the current phase. */
export const applyRotationStep = (step: RotationStep, input: StepInput): StepResult => {
  const config = parseSignerConfig(input.doc, input.source);
  const field = caField(input.role);
  const ca = config[field];
  const phase = rotationPhase(ca);
  const doc = structuredClone(input.doc) as Doc;
  const entry = doc[field] as Doc;
  const keyField = KEY_FIELD[ca.store];
  const refs = entry[keyField] as string[];
  switch (step) {
    case 'add-next': {
      if (phase !== 'steady') usage(`${input.role} CA is in phase ${phase}: finish that rotation (${phase === 'next-added' ? 'promote' : 'retire'}) before adding another key`);
      if (refs.length !== 1) usage(`${input.role} CA lists ${refs.length} keys outside a rotation; leave only the signing one before add-next`);
      if (!input.nextKey) return usage('add-next needs the next key');
      if (caKeyRefs(parseSignerConfig({ ...doc, [field]: { ...entry, [keyField]: [input.nextKey] } }, input.source)[field])[0] === caKeyRefs(ca)[0]) {
        usage(`${input.role} CA: the next key is the current key`);
      }
      entry[keyField] = [refs[0], input.nextKey];
      entry.rotation = { phase: 'next-added', addedAt: isoSeconds(input.now) };
      return { doc };
    }
    case 'promote': {
      if (phase !== 'next-added') usage(`${input.role} CA is in phase ${phase}: promote follows add-next`);
      const forcedEarly = waitCheck(step, ca, config, input);
      entry[keyField] = [refs[1], refs[0]];
      entry.rotation = { phase: 'promoted', addedAt: ca.rotation?.addedAt, promotedAt: isoSeconds(input.now) };
      return { doc, ...(forcedEarly ? { forcedEarly } : {}) };
    }
    case 'retire': {
      if (phase !== 'promoted') usage(`${input.role} CA is in phase ${phase}: retire follows promote`);
      const forcedEarly = waitCheck(step, ca, config, input);
      entry[keyField] = [refs[0]];
      delete entry.rotation;
      return { doc, ...(forcedEarly ? { forcedEarly } : {}) };
    }
  }
};

export interface RotationKeyStatus {
  readonly ref: string;
  readonly fingerprint: string;
  readonly publicKey: string;
  readonly signing: boolean;
  /** current (signs, or signed before a promote), next (added, not yet signing), previous (promoted away from, still published). */
  readonly role: 'current' | 'next' | 'previous';
}

export interface RotationStatus {
  readonly ca: CaRole;
  readonly phase: RotationPhase;
  readonly store: CaStoreConfig['store'];
  readonly keys: readonly RotationKeyStatus[];
  readonly addedAt: string | null;
  readonly promotedAt: string | null;
  /** The step that comes next, or null when steady. */
  readonly nextStep: 'promote' | 'retire' | null;
  /** When that step is allowed without --force (ISO), null when steady. */
  readonly nextStepAllowedAt: string | null;
  readonly hostRenewalInterval: number;
  /** Seconds each step waits after the previous one: the larger of hostRenewalInterval and the longest user certificate. */
  readonly stepWaitSeconds: number;
}

/** A role's rotation status; `published` = its loaded public key lines with fingerprints, signing key first. */
export const rotationStatus = (config: SignerConfig, role: CaRole, published: ReadonlyArray<{ publicKey: string; fingerprint: string }>): RotationStatus => {
  const ca = config[caField(role)];
  const phase = rotationPhase(ca);
  const refs = caKeyRefs(ca);
  const roles: Array<RotationKeyStatus['role']> = phase === 'next-added' ? ['current', 'next'] : phase === 'promoted' ? ['current', 'previous'] : refs.map(() => 'current');
  const allowedAt = nextStepAllowedAt(ca, stepWaitSeconds(config));
  return {
    ca: role,
    phase,
    store: ca.store,
    keys: refs.map((ref, i) => ({ ref, fingerprint: published[i]?.fingerprint ?? '', publicKey: published[i]?.publicKey ?? '', signing: i === 0, role: roles[i] ?? 'current' })),
    addedAt: ca.rotation?.addedAt ?? null,
    promotedAt: ca.rotation?.promotedAt ?? null,
    nextStep: phase === 'next-added' ? 'promote' : phase === 'promoted' ? 'retire' : null,
    nextStepAllowedAt: allowedAt ? isoSeconds(allowedAt) : null,
    hostRenewalInterval: config.rotation.hostRenewalInterval,
    stepWaitSeconds: stepWaitSeconds(config),
  };
};
