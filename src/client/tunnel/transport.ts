// The transports' names (no imports beyond errors: the client config reads them on every run).
import { LkpError } from '../../errors.js';

export const TRANSPORTS = ['direct', 'eice', 'ssm'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const parseTransport = (value: unknown, where: string): Transport => {
  if (typeof value === 'string' && (TRANSPORTS as readonly string[]).includes(value)) return value as Transport;
  throw new LkpError('UsageError', `${where} must be one of ${TRANSPORTS.join(', ')}`);
};
