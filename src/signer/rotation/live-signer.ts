// What the running signer actually serves, as opposed to what its config says: a rotation
// step is safe only when the signer adopted the previous one (a reload that failed, a Lambda
// container still on the old parameter, a next key the signer cannot read all leave it on
// the old key list). Asked through the Lambda Invoke API the rest of lkp uses, so the same
// code reaches the deployed Lambda or `lkp signer serve` (AWS_ENDPOINT_URL_LAMBDA).
import type { CaKeysResponse } from '../../api/response.js';
import { LkpError } from '../../errors.js';
import { fingerprint, parsePublicKey } from '../../ssh/public-key.js';
import type { CaRole } from './phases.js';

/** The `ca-keys` answer of the live signer. */
export interface LiveKeys {
  readonly functionName: string;
  readonly serverId: string;
  readonly host: readonly string[];
  readonly user: readonly string[];
}

/** How one role's live key list compares with what a config says (fingerprints, signing key first). */
export interface LiveRoleView {
  readonly fingerprints: readonly string[];
  /** The live signer publishes exactly the config's keys, in its order (so the same key signs). */
  readonly matchesConfig: boolean;
}

export type LiveView =
  | { readonly functionName: string; readonly serverId: string; readonly hostCa: LiveRoleView; readonly userCa: LiveRoleView }
  | { readonly functionName: string; readonly error: { readonly code: string; readonly message: string } };

const fingerprints = (lines: readonly string[]): string[] => lines.map((l) => fingerprint(parsePublicKey(l)));

/** True when the live list is the config's list: same keys, same order (comments aside). */
export const sameKeyList = (live: readonly string[], config: readonly string[]): boolean => {
  const a = fingerprints(live);
  const b = fingerprints(config);
  return a.length === b.length && a.every((f, i) => f === b[i]);
};

/** The live view of both roles against a config's published lines. */
export const liveView = (live: LiveKeys, config: { serverId: string; host: readonly string[]; user: readonly string[] }): LiveView => ({
  functionName: live.functionName,
  serverId: live.serverId,
  hostCa: { fingerprints: fingerprints(live.host), matchesConfig: live.serverId === config.serverId && sameKeyList(live.host, config.host) },
  userCa: { fingerprints: fingerprints(live.user), matchesConfig: live.serverId === config.serverId && sameKeyList(live.user, config.user) },
});

/**
 * Why the live signer is not where a step needs it, or undefined: it must be the config's
 * signer (serverId) and publish exactly the role's keys of the config as stored now.
 */
export const liveMismatch = (live: LiveKeys, role: CaRole, config: { serverId: string; lines: readonly string[] }): string | undefined => {
  if (live.serverId !== config.serverId) return `signer ${live.functionName} is ${live.serverId}, not ${config.serverId} (the config's serverId): name the right one with --function-name`;
  const served = live[role];
  if (sameKeyList(served, config.lines)) return undefined;
  return `signer ${live.functionName} publishes ${fingerprints(served).join(', ') || 'no key'} for the ${role} CA, not ${fingerprints(config.lines).join(', ')} as its config says: it has not adopted the previous step (a reload that failed, a key it cannot read, a Lambda container on the old parameter; see its log)`;
};

export interface LiveSignerTarget {
  readonly functionName: string;
  readonly region?: string;
  /** The config is a `lkp signer serve` file: only reachable through AWS_ENDPOINT_URL_LAMBDA. */
  readonly local: boolean;
}

/** Asks the live signer for its CA keys (`ca-keys`: no identity needed). */
export const fetchLiveKeys = async (target: LiveSignerTarget): Promise<LiveKeys> => {
  const { endpointOverride } = await import('../../aws/endpoint.js');
  if (target.local && !endpointOverride('LAMBDA')) {
    throw new LkpError('UsageError', 'to see what lkp signer serve serves, set AWS_ENDPOINT_URL_LAMBDA to its address (e.g. http://127.0.0.1:9000)');
  }
  const { callSigner } = await import('../../aws/invoke-signer.js');
  const answer = await callSigner<CaKeysResponse>({ version: 1, action: 'ca-keys' }, { functionName: target.functionName, ...(target.region ? { region: target.region } : {}), attempts: 2 });
  if (!Array.isArray(answer.hostCaKeys) || !Array.isArray(answer.userCaKeys) || typeof answer.serverId !== 'string') {
    throw new LkpError('SignerError', `signer ${target.functionName} answered ca-keys without key lists`);
  }
  try {
    [...answer.hostCaKeys, ...answer.userCaKeys].forEach((l) => parsePublicKey(l));
  } catch (error) {
    throw new LkpError('SignerError', `signer ${target.functionName} answered a CA key that does not parse`, { cause: error });
  }
  return { functionName: target.functionName, serverId: answer.serverId, host: answer.hostCaKeys, user: answer.userCaKeys };
};
