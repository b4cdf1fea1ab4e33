// `lkp ca show`: what an operator pins and distributes, for any CA store (file, Secrets
// Manager, SSM, KMS): each CA's public key lines with SHA256 fingerprints, the one that
// signs first. Only public halves leave this module.
import type { CaStoreConfig, SignerConfig } from './config.js';
import type { CaKeys, CaKeySet } from './ca-store/types.js';
import { fingerprint, parsePublicKey } from '../ssh/public-key.js';

export interface CaKeyReport {
  readonly publicKey: string;
  readonly fingerprint: string;
  /** The key that signs new certificates (the others are published for rotation). */
  readonly signing: boolean;
}

export interface CaReport {
  readonly store: string;
  readonly keys: readonly CaKeyReport[];
}

export interface CaShowReport {
  readonly serverId: string;
  readonly hostCa: CaReport;
  readonly userCa: CaReport;
}

const storeName = (s: CaStoreConfig): string => {
  switch (s.store) {
    case 'file':
      return `file ${s.paths.join(', ')}`;
    case 'secretsmanager':
      return `secretsmanager ${s.secretIds.join(', ')}`;
    case 'ssm':
      return `ssm ${s.names.join(', ')}`;
    case 'kms':
      return `kms ${s.keyIds.join(', ')}`;
  }
};

const report = (store: CaStoreConfig, set: CaKeySet): CaReport => ({
  store: storeName(store),
  keys: set.publicLines.map((line, i) => ({ publicKey: line, fingerprint: fingerprint(parsePublicKey(line)), signing: i === 0 })),
});

/** The report for a config and its loaded keys. */
export const caShowReport = (config: SignerConfig, keys: CaKeys): CaShowReport => ({
  serverId: config.serverId,
  hostCa: report(config.hostCa, keys.host),
  userCa: report(config.userCa, keys.user),
});

/** The same, for people: what to pin and what to put in known_hosts. */
export const formatCaShow = (r: CaShowReport): string[] => {
  const lines: string[] = [`signer ${r.serverId}`];
  for (const [title, ca] of [['host CA', r.hostCa], ['user CA', r.userCa]] as const) {
    lines.push(`${title} (${ca.store}):`);
    for (const k of ca.keys) lines.push(`  ${k.fingerprint}${k.signing ? '  (signs)' : '  (published)'}`, `  ${k.publicKey}`);
  }
  lines.push('', 'pin the user CA at first boot:');
  for (const k of r.userCa.keys) lines.push(`  lkp host --user-ca-fingerprint ${k.fingerprint} ...`);
  // Host certificates name the instance id, private and public DNS names and addresses;
  // lkp ssh pins HostKeyAlias to the instance id, plain ssh matches whatever name it used.
  lines.push('', 'known_hosts for plain ssh (lkp ssh writes its own):');
  for (const k of r.hostCa.keys) lines.push(`  @cert-authority * ${k.publicKey}`);
  return lines;
};
