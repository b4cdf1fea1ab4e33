// How long a certificate lives: what was asked (or the default), never more than the
// rule's and the certificate type's maximum.
import type { ValidityLimits } from '../config.js';

/** Seconds of validity to grant. */
export const grantedValidity = (requested: number | undefined, limits: ValidityLimits, ruleMax: number | undefined): number =>
  Math.min(requested ?? limits.default, limits.max, ruleMax ?? Number.POSITIVE_INFINITY);
