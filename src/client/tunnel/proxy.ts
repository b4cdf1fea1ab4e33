// `lkp ssh proxy --via eice`: ssh's ProxyCommand end of the EICE tunnel. It signs the
// openTunnel URL with the person's credentials (the signer profile's), opens the
// WebSocket and pipes ssh's stdin/stdout through it. The endpoint may come from lkp's
// cache (eice-cache.ts): when it is gone (404, or its name no longer answers) before the
// tunnel opened, lkp looks in the instance's VPC once more and retries once.
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../../errors.js';
import { personCredentials } from '../credentials.js';
import { pipeTunnel, presignOpenTunnel } from './eice.js';
import { checkEiceRoute, type EiceRoute } from './route.js';

const open = async (r: EiceRoute, port: number, credentials: AwsCredentialIdentity): Promise<{ opened: boolean; error?: unknown }> => {
  const target = { endpointId: r.endpointId, dnsName: r.dnsName, privateIp: r.privateIp, port, region: r.region, maxDurationSeconds: r.maxTunnelSeconds };
  const url = await presignOpenTunnel(target, credentials);
  let opened = false;
  try {
    await pipeTunnel(url, { input: process.stdin, output: process.stdout, maxDurationSeconds: r.maxTunnelSeconds, target, onOpen: () => (opened = true) });
    return { opened };
  } catch (error) {
    return { opened, error };
  }
};

/** A refusal that means "this endpoint is gone", not "you may not" or "too many". */
export const endpointGone = (error: unknown, opened: boolean): boolean =>
  !opened && error instanceof LkpError && (error.code === 'EiceNotFound' || (error.code === 'AwsError' && error.cause !== undefined));

export const proxyViaEice = async (route: EiceRoute, port: number, at: { instanceId: string; home: string }): Promise<void> => {
  let r = checkEiceRoute(route);
  const credentials = await personCredentials(r.profile);
  try {
    let result = await open(r, port, credentials);
    if (result.error !== undefined && r.vpcId && endpointGone(result.error, result.opened)) {
      const [{ findEiceEndpoint }, cache] = await Promise.all([import('../../aws/ec2-eice-endpoint.js'), import('./eice-cache.js')]);
      await cache.dropCachedEndpoint(at.home, r.region, r.vpcId);
      const endpoint = await findEiceEndpoint({ region: r.region, credentials, instanceId: at.instanceId, vpcId: r.vpcId });
      await cache.writeCachedEndpoint(at.home, r.region, r.vpcId, endpoint, Math.floor(Date.now() / 1000));
      r = checkEiceRoute({ ...r, endpointId: endpoint.endpointId, dnsName: endpoint.dnsName });
      result = await open(r, port, credentials);
    }
    if (result.error !== undefined) throw result.error;
  } finally {
    // ssh may keep our stdin open: nothing more will be read from it.
    process.stdin.destroy();
  }
};
