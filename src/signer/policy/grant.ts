// What the policy decided to allow: everything issuance needs, nothing it must guess.
import type { CriticalOptions, Extension } from '../../ssh/certificate.js';
import type { CertType } from '../../ssh/key-policy.js';
import type { Principal } from '../../ssh/names.js';

export interface Grant {
  readonly ruleName: string;
  readonly certType: CertType;
  readonly principals: readonly Principal[];
  /** The host id principals are scoped to (host certs: the host itself; user certs: the target). */
  readonly hostId: string;
  readonly validitySeconds: number;
  readonly criticalOptions: CriticalOptions;
  readonly extensions: readonly Extension[];
}
