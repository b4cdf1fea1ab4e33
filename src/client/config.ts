// The laptop's client config, ~/.lkp/config.json (or LKP_CONFIG): named signers, each a
// function name or ARN with its region, AWS profile and default login, and an ordered
// list of fallback signers tried when one does not answer (Certonid's failover).
// Strictly parsed: an error names the file and the field.
import { readFileSync } from 'node:fs';
import { LkpError } from '../errors.js';
import { readObject } from '../schema.js';
import { parseLogin, type Login } from '../ssh/names.js';
import { TRANSPORTS, type Transport } from './tunnel/transport.js';

export interface SignerProfile {
  readonly name: string;
  readonly functionName: string;
  readonly region?: string;
  readonly profile?: string;
  readonly defaultLogin?: Login;
  /** How ssh reaches this signer's instances by default (--via overrides): direct, eice or ssm. */
  readonly via?: Transport;
  /** The Session Manager document --via ssm starts (default AWS-StartSSHSession; the deploy template's SsmDocumentName). */
  readonly ssmDocument?: string;
  /** Names of other signers to try, in order, when this one is unreachable. */
  readonly fallbacks: readonly string[];
}

export interface ClientConfig {
  readonly file: string;
  /** True when there is no such file (an empty config). */
  readonly missing?: boolean;
  readonly defaultSigner?: string;
  readonly signers: ReadonlyMap<string, SignerProfile>;
  /** How old (hours) the host revocation list may get when it cannot be refreshed before lkp refuses to connect (default 24). */
  readonly krlMaxAgeHours?: number;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** An AWS region name: the client config, route.json and `lkp ssh proxy --region` all use it. */
export const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d$/;
/** An SSM document: its name, or the ARN of one shared from another account (it goes into a ProxyCommand). */
export const SSM_DOCUMENT_RE = /^(arn:aws[a-z-]*:ssm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:document\/)?[A-Za-z0-9_.-]{3,128}$/;

/** Parses a client config document. */
export const parseClientConfig = (doc: unknown, file: string): ClientConfig => {
  const r = readObject(doc, file, ['version', 'defaultSigner', 'signers', 'krlMaxAgeHours', '$comment'], 'ConfigInvalid');
  if (r.has('version') && r.value.version !== 1) r.fail('version', 'must be 1');
  const raw = r.value.signers ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) r.fail('signers', 'must be an object of name -> signer');
  const signers = new Map<string, SignerProfile>();
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!NAME.test(name)) r.fail(`signers.${name.slice(0, 64)}`, 'signer names use letters, digits and . _ -');
    const s = readObject(value, `${file}: signers.${name}`, ['functionName', 'region', 'profile', 'defaultLogin', 'fallbacks', 'via', 'ssmDocument'], 'ConfigInvalid');
    const region = s.optionalString('region', { max: 32 });
    if (region !== undefined && !REGION_RE.test(region)) s.fail('region', 'is not an AWS region name');
    const profile = s.optionalString('profile', { max: 128 });
    let defaultLogin: Login | undefined;
    if (s.has('defaultLogin')) {
      try {
        defaultLogin = parseLogin(s.value.defaultLogin);
      } catch (error) {
        s.fail('defaultLogin', (error as Error).message);
      }
    }
    const via = s.optionalString('via', { max: 16 });
    if (via !== undefined && !(TRANSPORTS as readonly string[]).includes(via)) s.fail('via', `must be one of ${TRANSPORTS.join(', ')}`);
    const ssmDocument = s.optionalString('ssmDocument', { max: 256 });
    if (ssmDocument !== undefined && !SSM_DOCUMENT_RE.test(ssmDocument)) s.fail('ssmDocument', 'is not an SSM document name (letters, digits, _ . -; 3..128) or document ARN');
    signers.set(name, {
      name,
      functionName: s.string('functionName', { max: 256 }),
      ...(region ? { region } : {}),
      ...(profile ? { profile } : {}),
      ...(defaultLogin ? { defaultLogin } : {}),
      ...(via ? { via: via as Transport } : {}),
      ...(ssmDocument ? { ssmDocument } : {}),
      fallbacks: s.optionalStringArray('fallbacks', { max: 8 }) ?? [],
    });
  }
  for (const s of signers.values()) {
    for (const f of s.fallbacks) if (!signers.has(f)) throw new LkpError('ConfigInvalid', `${file}: signers.${s.name}.fallbacks: no signer named ${JSON.stringify(f)}`);
  }
  const defaultSigner = r.optionalString('defaultSigner', { max: 64 });
  if (defaultSigner !== undefined && !signers.has(defaultSigner)) r.fail('defaultSigner', `no signer named ${JSON.stringify(defaultSigner)}`);
  const krlMaxAgeHours = r.optionalInteger('krlMaxAgeHours', { min: 1, max: 24 * 365 });
  return { file, ...(defaultSigner ? { defaultSigner } : {}), signers, ...(krlMaxAgeHours !== undefined ? { krlMaxAgeHours } : {}) };
};

/**
 * Reads the config; a missing default file is an empty config, a broken one an error, and
 * so is a missing file the user named (LKP_CONFIG): a typo there must not go unnoticed.
 */
export const loadClientConfig = async (file: string, opts: { explicit?: boolean } = {}): Promise<ClientConfig> => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8'); // sync: a small file, read before anything else runs
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      if (opts.explicit) throw new LkpError('ConfigInvalid', `LKP_CONFIG names ${file}, which does not exist`);
      return { file, missing: true, signers: new Map() };
    }
    throw new LkpError('ConfigInvalid', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new LkpError('ConfigInvalid', `${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseClientConfig(doc, file);
};

/** The signer to use: --signer NAME, else the config's default; flags override its fields. */
export const chooseSigners = (config: ClientConfig, opts: { signer?: string; functionName?: string; region?: string; profile?: string }): SignerProfile[] => {
  const name = opts.signer ?? config.defaultSigner;
  let chain: SignerProfile[] = [];
  if (name !== undefined) {
    const first = config.signers.get(name);
    if (!first && config.missing) {
      const example = JSON.stringify({ version: 1, signers: { [name]: { functionName: 'lkp-signer', region: 'us-east-1' } } });
      throw new LkpError('ConfigInvalid', `--signer ${name}: there is no client config (${config.file} does not exist); create it, e.g. ${example}, or set LKP_CONFIG to the file you meant`);
    }
    if (!first) throw new LkpError('ConfigInvalid', `${config.file}: no signer named ${JSON.stringify(name)} (known: ${[...config.signers.keys()].join(', ') || 'none'})`);
    chain = [first, ...first.fallbacks.map((f) => config.signers.get(f) as SignerProfile)];
  } else {
    chain = [{ name: 'default', functionName: process.env.LKP_FUNCTION_NAME ?? 'lkp-signer', fallbacks: [] }];
  }
  // Flags override the chosen signer (and only it: fallbacks keep their own settings).
  const [head, ...rest] = chain as [SignerProfile, ...SignerProfile[]];
  return [
    {
      ...head,
      ...(opts.functionName ? { functionName: opts.functionName } : {}),
      ...(opts.region ? { region: opts.region } : {}),
      ...(opts.profile ? { profile: opts.profile } : {}),
    },
    ...rest,
  ];
};
