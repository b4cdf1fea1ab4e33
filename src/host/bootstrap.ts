// `lkp host`: turn this machine into one that presents CA-signed host certificates,
// trusts the user CA and admits only certificates issued for this very host. Order is
// what keeps people from being locked out: ask the signer first (nothing changes if it
// refuses), write lkp's own files, then change sshd's configuration only through
// validate -> rename -> reload, and undo everything if any of that fails.
import path from 'node:path';
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';
import type { Login } from '../ssh/names.js';
import { applySshdChange, loadSshdConfigInput, previewSshdChange } from '../sshd/apply.js';
import { planSshdEdit, type SshdEditPlan } from '../sshd/edit.js';
import { reloadSshd, sshdReloader } from '../sshd/reload.js';
import { effectiveHostKeys } from '../sshd/effective.js';
import { validateLkpSshdSettings } from '../sshd/settings.js';
import { assertSshdValid, sshdValidator } from '../sshd/validate.js';
import { instancePrincipalsFromImds, joinTokenPrincipals } from './expected-principals.js';
import { readHostKeys, type HostKey } from './host-keys.js';
import type { ImdsClient, InstanceIdentity } from './imds.js';
import { hostLayout, type HostLayout } from './layout.js';
import { resolveLogins, type UserExists } from './logins.js';
import { fetchPublishedCaKeys, obtainHostCertificates, type PublishedCaKeys } from './obtain-certificates.js';
import { hostSshdSettings, planHostFiles, stalePrincipalFiles } from './plan-host-files.js';
import { hostCertificateStatus, readHostCaKeys, readTrustedUserCaKeys } from './read-host-state.js';
import { caKeyDrift } from './ca-drift.js';
import { fingerprint, type PublicKey } from '../ssh/public-key.js';
import { renewalDue, type CertStatus } from './renewal.js';
import { fetchKrl, type FetchedKrl } from '../krl/fetch-krl.js';
import { readInstalledKrl, refreshRevokedKeys, sshdNamesKrl, writeHostFilesWithKrl } from './revoked-keys.js';
import type { LkpSshdSettings } from '../sshd/settings.js';
import type { SshdConfigInput } from '../sshd/edit.js';
import { retryWithin } from './retry-window.js';
import type { HostIdentitySource } from './signer-identity.js';
import { listFiles } from './write-host-files.js';

export interface HostRunOptions {
  readonly functionName: string;
  readonly region?: string;
  readonly joinToken?: string;
  readonly sshDir: string;
  readonly sshdConfig: string;
  readonly sshdPath: string;
  readonly users?: readonly Login[];
  readonly dryRun: boolean;
  readonly reload: boolean;
  readonly renewIfNeeded: boolean;
  /** Reload by SIGHUP to the pid in this file instead of detecting the service. */
  readonly sshdPidFile?: string;
  /** SHA256 fingerprints the user CA keys must be among (pinning on first boot). */
  readonly userCaFingerprints?: readonly string[];
  /** Accept a user CA set that shares no key with the one trusted before. */
  readonly acceptNewUserCa?: boolean;
  /** How long to keep retrying an unreachable or throttled signer (ms; 0 = no retries; default 0). */
  readonly retryWindowMs?: number;
}

export interface HostDeps {
  readonly imds: () => ImdsClient;
  readonly userExists: UserExists;
  readonly now: () => Date;
  readonly out: (line: string) => void;
  /** Progress while waiting for the signer (retries, clock offset); stderr in the CLI. */
  readonly progress?: (line: string) => void;
}

export interface HostRunResult {
  readonly changed: boolean;
  readonly hostId?: string;
  readonly skipped?: 'renewal-not-due';
  /** On a renewal that was not due: what was missing of revocations and was installed. */
  readonly revocations?: 'installed';
}

/** How to reload sshd: not at all, by SIGHUP to a given pid file, or the detected service. */
export const hostReloader = (opts: Pick<HostRunOptions, 'reload' | 'sshdPidFile'>): (() => Promise<void>) => {
  if (!opts.reload) return async () => undefined;
  const pidFile = opts.sshdPidFile;
  if (pidFile) return async () => void (await reloadSshd({ kind: 'pid', pidFile }));
  return sshdReloader();
};

/**
 * The user CA decides who gets root here, so a signer answer must not swap it silently:
 * pinned fingerprints must match, and a renewal must keep at least one key it trusted
 * before (a rotation publishes old and new together).
 */
export const checkUserCaContinuity = (offered: readonly PublicKey[], trusted: readonly PublicKey[], opts: Pick<HostRunOptions, 'userCaFingerprints' | 'acceptNewUserCa'>): void => {
  if (opts.userCaFingerprints && opts.userCaFingerprints.length > 0) {
    const stray = offered.map(fingerprint).filter((f) => !opts.userCaFingerprints?.includes(f));
    if (stray.length > 0) throw new LkpError('SignerError', `the signer offered user CA key(s) ${stray.join(', ')} that --user-ca-fingerprint does not pin; nothing was changed`);
    return;
  }
  if (trusted.length === 0 || opts.acceptNewUserCa) return;
  const before = new Set(trusted.map(fingerprint));
  if (!offered.some((k) => before.has(fingerprint(k)))) {
    throw new LkpError('SignerError', 'the signer offered user CA keys that share none with the ones this host trusts now; if that is an intended CA replacement, run again with --accept-new-user-ca (nothing was changed)');
  }
};

/**
 * Why valid certificates should renew now (the signer's CA keys changed), or undefined.
 * A signer that cannot be asked leaves valid certificates alone: the next timer run asks again.
 */
const rotationDrift = async (o: { fetch: () => Promise<PublishedCaKeys>; layout: HostLayout; statuses: readonly CertStatus[]; trustedBefore: readonly PublicKey[]; out: (line: string) => void }): Promise<string | undefined> => {
  let published: PublishedCaKeys;
  try {
    published = await o.fetch();
  } catch (error) {
    if (!(error instanceof LkpError)) throw error;
    o.out(`lkp host: warning: could not ask the signer for its CA keys (${error.code}: ${error.message}); the certificates are valid, so nothing changes until the next run`);
    return undefined;
  }
  const trusted = o.trustedBefore.length > 0 ? o.trustedBefore : await readTrustedUserCaKeys(o.layout);
  return caKeyDrift({ published, trustedUserCaKeys: trusted, hostCaKeys: await readHostCaKeys(o.layout), statuses: o.statuses });
};

/** The instance's identity document and role credentials from IMDSv2. */
export const instanceRole = async (imds: ImdsClient): Promise<{ doc: InstanceIdentity; region: string; credentials: AwsCredentialIdentity }> => {
  const [doc, credentials] = await Promise.all([imds.identity(), imds.roleCredentials()]);
  return { doc, region: doc.region, credentials };
};

/**
 * --dry-run: what a real run would send and change, with nothing issued or spent. The
 * signer is asked only for its published CA keys (so the user CA is vetted as a real run
 * would); host-cert is never called, so a join token stays unused.
 */
const dryRun = async (o: {
  readonly deps: HostDeps;
  readonly layout: HostLayout;
  readonly hostKeys: readonly HostKey[];
  readonly logins: readonly Login[];
  readonly expectedPrincipals: readonly string[];
  readonly published: PublishedCaKeys;
  readonly edit: SshdEditPlan;
}): Promise<HostRunResult> => {
  const { deps, layout } = o;
  const out = (line: string): void => deps.out(line);
  out(`lkp host --dry-run: nothing is issued, spent or written; the signer was asked only for its CA keys (${o.published.serverId})`);
  out(`would send ${o.hostKeys.length} host key(s):`);
  for (const k of o.hostKeys) out(`  ${k.key.type} ${fingerprint(k.key)} ${k.privatePath}.pub`);
  out(`expected principals (not verified; the signer decides): ${o.expectedPrincipals.join(', ')}`);
  out(`logins: ${o.logins.join(', ')}`);
  out(`would write under ${layout.dir}:`);
  const files = [
    ...o.hostKeys.map((k) => layout.certFor(k.privatePath)),
    layout.trustedUserCaKeys,
    layout.hostCaKeys,
    ...o.logins.map((l) => path.join(layout.principalsDir, l)),
    layout.state,
    layout.revokedKeys,
  ];
  for (const f of files) out(`  ${f}`);
  for (const f of stalePrincipalFiles(layout, o.logins, await listFiles(layout.principalsDir))) out(`  remove ${f}`);
  const diff = await previewSshdChange(o.edit.changes.map((c) => ({ path: c.path, content: c.content, before: c.before })));
  out(diff ? `sshd configuration (${o.edit.placement} in ${o.edit.target}):\n${diff}` : 'sshd configuration: no change');
  return { changed: false };
};

/** The signer's KRL, or undefined (said on `progress`) when it cannot give one. */
const fetchKrlOrWarn = (signer: Parameters<typeof fetchKrl>[0], progress: (line: string) => void): Promise<FetchedKrl | undefined> =>
  fetchKrl(signer).catch((error: unknown) => {
    progress(`lkp host: warning: revocation list not fetched: ${error instanceof LkpError ? `${error.code}: ${error.message}` : String(error)}`);
    return undefined;
  });

/**
 * `--renew-if-needed` with valid certificates: nothing is renewed, but the KRL is refreshed
 * (a bound for hosts without lkp-host-krl.timer), and a host configured by
 * an lkp from before revocations lacks sshd's RevokedKeys line (and its file), and a KRL
 * file removed by hand locks every key login out while sshd names it. Either is put right
 * here, twice a day, instead of at the next full run: the KRL file first (the signer's, else
 * an empty one; checked by ssh-keygen, renamed), then only the RevokedKeys line through the
 * validated, backed-up apply (sshd -t, rename, reload). Any other drift of sshd's
 * configuration waits for a full run, as before.
 */
const installMissingRevocations = async (o: {
  readonly opts: HostRunOptions;
  readonly deps: HostDeps;
  readonly layout: HostLayout;
  readonly settings: LkpSshdSettings;
  readonly sshdInput: SshdConfigInput;
  readonly edit: SshdEditPlan;
  readonly signer: Parameters<typeof fetchKrl>[0];
}): Promise<HostRunResult> => {
  const { opts, deps, layout } = o;
  const notDue = 'lkp host: certificates are valid and not due for renewal';
  const { revokedKeys: _krl, ...withoutKrl } = o.settings;
  // The planned edit adds exactly lkp's RevokedKeys line when, without it, nothing would change.
  const lineMissing = o.edit.changes.length > 0 && planSshdEdit(o.sshdInput, withoutKrl).changes.length === 0;
  const fileUsable = await readInstalledKrl(layout).then(
    (installed) => installed !== null,
    (error: unknown) => {
      if (error instanceof LkpError && error.code === 'KeyInvalid') return false;
      throw error;
    },
  );
  if (!lineMissing && fileUsable) {
    // The KRL is refreshed here too, so a host without lkp-host-krl.timer (installed or
    // upgraded without it) is never more than one renewal interval (12 h) behind.
    const refreshed = opts.dryRun ? undefined : await refreshRevokedKeys(layout, () => fetchKrl(o.signer), deps.now).catch((error: unknown) => {
      if (!(error instanceof LkpError)) throw error;
      (deps.progress ?? (() => undefined))(`lkp host: warning: revocation list not refreshed (${error.code}: ${error.message}); the installed one stays`);
      return undefined;
    });
    deps.out(`${notDue}; nothing to do${refreshed ? ` (revocation list refreshed: ${refreshed.count ?? '?'} revocation(s), generated ${refreshed.generatedAt})` : ''}`);
    return { changed: false, skipped: 'renewal-not-due' };
  }
  const what = [...(fileUsable ? [] : [layout.revokedKeys]), ...(lineMissing ? [`RevokedKeys in ${o.edit.target}`] : [])].join(' and ');
  if (opts.dryRun) {
    deps.out(`${notDue}; --dry-run: would install ${what}`);
    return { changed: false, skipped: 'renewal-not-due' };
  }
  const progress = deps.progress ?? (() => undefined);
  const fetched = await fetchKrlOrWarn(o.signer, progress);
  const written = await writeHostFilesWithKrl({ layout, files: [], stale: [], fetched, now: deps.now(), note: (line) => progress(`lkp host: ${line}`) });
  if (lineMissing) {
    try {
      const result = await applySshdChange({
        mainConfigPath: opts.sshdConfig,
        sshDir: opts.sshDir,
        files: o.edit.changes.map((c) => ({ path: c.path, content: c.content, before: c.before })),
        validate: sshdValidator({ sshdPath: opts.sshdPath }),
        reload: hostReloader(opts),
      });
      for (const w of result.warnings) deps.out(`lkp host: sshd -t: ${w}`);
    } catch (error) {
      await written.restore();
      throw error;
    }
  }
  deps.out(`${notDue}; installed the revocation list: ${what}${lineMissing && !opts.reload ? ' (not reloaded: --no-reload)' : ''}`);
  return { changed: true, skipped: 'renewal-not-due', revocations: 'installed' };
};

/** Runs the whole host bootstrap (or renewal). */
export const runHost = async (opts: HostRunOptions, deps: HostDeps): Promise<HostRunResult> => {
  const layout = hostLayout(opts.sshDir);
  // Certify only the host keys sshd loads: a HostCertificate without its HostKey is an error.
  const [loadedList, present] = await Promise.all([effectiveHostKeys({ sshdPath: opts.sshdPath, configPath: opts.sshdConfig }), readHostKeys(opts.sshDir)]);
  const loaded = new Set(loadedList);
  const hostKeys = present.filter((k) => loaded.has(k.privatePath));
  if (hostKeys.length === 0) {
    throw new LkpError('SshdConfigInvalid', `sshd loads none of the host keys in ${opts.sshDir} (it loads ${[...loaded].join(', ') || 'none'}); point --ssh-dir at its host keys`);
  }
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);

  // Valid certificates still renew when the signer's CA keys moved on (a rotation): asked below.
  let validStatuses: CertStatus[] | undefined;
  if (opts.renewIfNeeded) {
    const statuses = await hostCertificateStatus(layout, hostKeys, nowSeconds);
    if (!renewalDue(statuses)) validStatuses = statuses;
    for (const s of statuses.filter((x) => x.state !== 'ok')) deps.out(`lkp host: ${path.basename(s.certPath)}: ${s.reason}; renewing`);
  }

  // Who this host is (IMDSv2) is asked while the local checks run.
  const instance = opts.joinToken ? undefined : instanceRole(deps.imds());
  instance?.catch(() => undefined); // awaited below; a local failure first must not leave it unhandled
  const logins = await resolveLogins(opts.users, deps.userExists);
  // Every path lkp will write into sshd's configuration must pass sshd's rules now, and the
  // sshd edit is planned, before the signer is asked (a join token is single-use).
  const settings = hostSshdSettings(layout, hostKeys.map((k) => k.privatePath));
  validateLkpSshdSettings(settings);
  const sshdInput = await loadSshdConfigInput({ mainPath: opts.sshdConfig, sshDir: opts.sshDir });
  const edit = planSshdEdit(sshdInput, settings);
  for (const c of edit.conflicts) deps.out(`lkp host: warning: ${c.message}`);
  // Only a missing file is a first boot; an unreadable one stops here, before the signer.
  const trustedBefore = opts.acceptNewUserCa ? [] : await readTrustedUserCaKeys(layout);

  let identity: HostIdentitySource;
  let region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  let credentials: AwsCredentialIdentity | undefined;
  if (!instance) identity = { kind: 'join-token', token: opts.joinToken as string };
  else {
    const role = await instance;
    region = opts.region ?? role.region;
    credentials = role.credentials;
    identity = { kind: 'instance-role', credentials, region };
  }
  // On EC2 the instance role also signs the Invoke call (no SDK credential chain needed).
  // At boot the signer may not be up yet or be throttled by a booting fleet: each try is the
  // whole exchange again (a fresh ca-keys, so a fresh clock offset and a freshly dated proof).
  // With a window, it alone retries (its back-off, not a quick in-call one, spreads a fleet).
  const progress = deps.progress ?? (() => undefined);
  const window = { windowMs: opts.retryWindowMs ?? 0, notice: (line: string) => progress(`lkp host: ${line}`) };
  const signer = { functionName: opts.functionName, ...(region ? { region } : {}), ...(credentials ? { credentials } : {}), ...(window.windowMs > 0 ? { attempts: 1 } : {}) };
  if (validStatuses) {
    const fetch = (): Promise<PublishedCaKeys> => retryWithin('signer ca-keys', () => fetchPublishedCaKeys(signer, deps.now), window);
    const drift = await rotationDrift({ fetch, layout, statuses: validStatuses, trustedBefore, out: deps.out });
    if (!drift) return installMissingRevocations({ opts, deps, layout, settings, sshdInput, edit, signer });
    deps.out(`lkp host: ${drift}; renewing`);
  }
  if (opts.dryRun) {
    const published = await retryWithin('signer ca-keys', () => fetchPublishedCaKeys(signer, deps.now), window);
    checkUserCaContinuity(published.userCaKeys, trustedBefore, opts);
    const expectedPrincipals = instance ? instancePrincipalsFromImds((await instance).doc) : joinTokenPrincipals(opts.joinToken as string);
    return dryRun({ deps, layout, hostKeys, logins, expectedPrincipals, published, edit });
  }
  const obtained = await retryWithin(
    'signer',
    () =>
      obtainHostCertificates({
        hostKeys,
        identity,
        signer,
        now: deps.now,
        checkUserCaKeys: (offered) => checkUserCaContinuity(offered, trustedBefore, opts),
        notice: window.notice,
      }),
    window,
  );

  const plan = planHostFiles({
    layout,
    obtained,
    logins,
    existingPrincipalFiles: await listFiles(layout.principalsDir),
    identity: opts.joinToken ? 'join-token' : 'aws',
    functionName: opts.functionName,
    now: deps.now(),
  });

  // Revocations go in with the other files, before sshd's configuration names them. A signer
  // without (or failing) the krl action does not stop the certificates: the last good copy
  // stays (or an empty KRL starts), and lkp-host-krl.timer tries again in minutes.
  const fetched = await fetchKrlOrWarn(signer, progress);
  // A failure below (sshd -t, reload) takes back the other files, not a KRL sshd already reads.
  const written = await writeHostFilesWithKrl({ layout, files: plan.files, stale: plan.stale, fetched, now: deps.now(), note: (line) => progress(`lkp host: ${line}`), krlNamed: sshdNamesKrl(sshdInput, layout.revokedKeys) });
  const reload = hostReloader(opts);
  try {
    if (edit.changes.length > 0) {
      const result = await applySshdChange({
        mainConfigPath: opts.sshdConfig,
        sshDir: opts.sshDir,
        files: edit.changes.map((c) => ({ path: c.path, content: c.content, before: c.before })),
        validate: sshdValidator({ sshdPath: opts.sshdPath }),
        reload,
      });
      for (const w of result.warnings) deps.out(`lkp host: sshd -t: ${w}`);
    } else if (written.changed) {
      // Same configuration, new certificates: check what sshd will load, then reload.
      assertSshdValid(await sshdValidator({ sshdPath: opts.sshdPath })(opts.sshdConfig), 'the configuration with the new certificates');
      await reload();
    }
  } catch (error) {
    await written.restore();
    throw error;
  }
  deps.out(`lkp host: ${plan.state.hostId}: ${obtained.certificates.length} host certificate(s) valid until ${plan.state.certificates[0]?.validBefore ?? '?'}`);
  deps.out(`lkp host: principals ${obtained.certificates[0]?.parsed.principals.join(', ')}`);
  deps.out(`lkp host: logins ${logins.map((l) => `${l} (principal ${l}@${plan.state.hostId})`).join(', ')}`);
  deps.out(`lkp host: sshd configured through ${edit.placement === 'drop-in' ? 'drop-in' : 'managed block in'} ${edit.target}${opts.reload ? '' : ' (not reloaded: --no-reload)'}`);
  return { changed: written.changed || edit.changes.length > 0, hostId: plan.state.hostId };
};

