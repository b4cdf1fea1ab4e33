// The `source-address` critical option: a comma-separated list of addresses/CIDRs that
// sshd enforces. Validated strictly here because sshd refuses the whole certificate on a
// bad entry, and a typo would otherwise lock the user out or (worse) widen access.
import { LkpError } from '../errors.js';

declare const brand: unique symbol;
/** A validated CIDR (address with prefix length) in canonical text. */
export type Cidr = string & { readonly [brand]: 'Cidr' };

const ipv4Octets = (text: string): number[] | undefined => {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
};

const isIpv6 = (text: string): boolean => {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  const all = [...head, ...tail];
  let count = 0;
  for (let i = 0; i < all.length; i += 1) {
    const g = all[i] as string;
    if (i === all.length - 1 && g.includes('.')) {
      if (!ipv4Octets(g)) return false;
      count += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) count += 1;
    else return false;
  }
  return halves.length === 2 ? count < 8 : count === 8;
};

/** Parses one `ADDR` or `ADDR/PREFIX` entry. */
export const parseCidr = (value: unknown): Cidr => {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) throw new LkpError('BadRequest', 'source address must be a short non-empty string');
  const [addr, prefix, extra] = value.split('/');
  if (extra !== undefined || addr === undefined) throw new LkpError('BadRequest', `source address ${JSON.stringify(value)} is not ADDRESS[/PREFIX]`);
  const v4 = ipv4Octets(addr) !== undefined;
  const v6 = !v4 && isIpv6(addr);
  if (!v4 && !v6) throw new LkpError('BadRequest', `source address ${JSON.stringify(value)} is not an IPv4 or IPv6 address`);
  if (prefix !== undefined) {
    const max = v4 ? 32 : 128;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefix) || Number(prefix) > max) {
      throw new LkpError('BadRequest', `source address ${JSON.stringify(value)} has a prefix length outside 0..${max}`);
    }
  }
  return value as Cidr;
};

/** Parses a list of CIDRs (array or the comma-joined form sshd uses). */
export const parseSourceAddress = (value: unknown): Cidr[] => {
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items) || items.length === 0 || items.length > 64) {
    throw new LkpError('BadRequest', 'source address must be 1 to 64 CIDRs');
  }
  return items.map(parseCidr);
};
