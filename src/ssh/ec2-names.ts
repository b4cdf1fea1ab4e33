// Names EC2 owns: instance ids, IP literals and the DNS names EC2 gives instances. Only
// DescribeInstances may put one in a certificate; a tag or a join token that claims one
// could name another host. Pure and conservative: when in doubt, it looks EC2-owned.

const IPV4_ISH = /^[0-9.]+$/; // dotted quads, but also short or integer forms a resolver accepts
// inet_aton also reads hex (0x0a000001, 0xa.0.0.1) and octal parts: any dotted run of numbers.
const IPV4_ANY_BASE = /^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$/;
const INSTANCE_ID = /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?(?:\.|$)/;
const DASHED_ADDRESS = /^(?:ip|ec2)-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}(?:\.|$)/;
const EC2_DOMAINS = /(?:^|\.)(?:compute\.internal|ec2\.internal|amazonaws\.com|amazonaws\.com\.cn)$/;

/** True when `name` is shaped like an instance id, an IP address or an EC2 DNS name. */
export const looksEc2Owned = (name: string): boolean => {
  const n = name.toLowerCase().replace(/\.+$/, '');
  return n.includes(':') || IPV4_ISH.test(n) || IPV4_ANY_BASE.test(n) || INSTANCE_ID.test(n) || DASHED_ADDRESS.test(n) || EC2_DOMAINS.test(n);
};

/** The host part of a principal: after the last `@` for LOGIN@HOST, else the whole name. */
export const principalHost = (principal: string): string => principal.slice(principal.lastIndexOf('@') + 1);
