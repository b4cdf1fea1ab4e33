// Where lkp keeps its files on a host: everything under <ssh-dir>/lkp/, so a person sees
// (and can remove) all of it in one place. Only the sshd drop-in, when used, lives in
// sshd's own include directory.
import path from 'node:path';

export interface HostLayout {
  readonly dir: string;
  readonly principalsDir: string;
  readonly trustedUserCaKeys: string;
  readonly hostCaKeys: string;
  readonly state: string;
  /** The KRL sshd reads at every key login (`RevokedKeys`): it must always exist and parse. */
  readonly revokedKeys: string;
  /** When the KRL was last fetched from the signer (for `lkp host status`). */
  readonly revokedKeysState: string;
  /** The certificate path for a host key, e.g. lkp/ssh_host_ed25519_key-cert.pub. */
  certFor(hostKeyPrivatePath: string): string;
}

/** The layout under an ssh dir. */
export const hostLayout = (sshDir: string): HostLayout => {
  const dir = path.join(path.resolve(sshDir), 'lkp');
  return {
    dir,
    principalsDir: path.join(dir, 'principals'),
    trustedUserCaKeys: path.join(dir, 'trusted_user_ca_keys.pub'),
    hostCaKeys: path.join(dir, 'host_ca_keys.pub'),
    state: path.join(dir, 'state.json'),
    revokedKeys: path.join(dir, 'revoked_keys'),
    revokedKeysState: path.join(dir, 'revoked_keys.json'),
    certFor: (p) => path.join(dir, `${path.basename(p)}-cert.pub`),
  };
};
