// Critical options and extensions of a user certificate, from the rule that allowed it.
// A forced command is a restriction only if nothing else is permitted beside it: like
// `restrict` in authorized_keys, a rule that forces a command grants no extension
// (no port, agent or X11 forwarding, no pty, no user rc) unless it lists some.
import { DEFAULT_USER_EXTENSIONS, type CriticalOptions, type Extension } from '../../ssh/certificate.js';
import type { Cidr } from '../../ssh/source-address.js';

interface UserRuleOptions {
  readonly forceCommand?: string;
  readonly sourceAddress?: readonly Cidr[];
  readonly extensions?: readonly Extension[];
}

/** What a user certificate issued under `rule` carries besides its principal. */
export const userCertOptions = (rule: UserRuleOptions): { criticalOptions: CriticalOptions; extensions: Extension[] } => ({
  criticalOptions: {
    ...(rule.forceCommand !== undefined ? { forceCommand: rule.forceCommand } : {}),
    ...(rule.sourceAddress !== undefined ? { sourceAddress: rule.sourceAddress } : {}),
  },
  extensions: [...(rule.extensions ?? (rule.forceCommand !== undefined ? [] : DEFAULT_USER_EXTENSIONS))],
});
