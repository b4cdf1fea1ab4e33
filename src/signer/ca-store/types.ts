// CA keys sit behind this interface so a key in a file, in Secrets Manager or SSM, or
// (later) in KMS plugs in without touching issuance.
import type { CaSigner } from '../../ssh/signature.js';

/** One CA role's keys: the first signs, all are published (rotation trusts both). */
export interface CaKeySet {
  readonly signer: CaSigner;
  /** OpenSSH public key lines, signing key first. */
  readonly publicLines: readonly string[];
}

export interface CaKeys {
  readonly host: CaKeySet;
  readonly user: CaKeySet;
}
