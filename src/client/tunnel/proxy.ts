// `lkp ssh proxy --via eice`: ssh's ProxyCommand end of the EICE tunnel. It signs the
// openTunnel URL with the person's credentials (the signer profile's), opens the
// WebSocket and pipes ssh's stdin/stdout through it.
import { personCredentials } from '../credentials.js';
import { pipeTunnel, presignOpenTunnel } from './eice.js';
import { checkEiceRoute, type EiceRoute } from './route.js';

export const proxyViaEice = async (route: EiceRoute, port: number): Promise<void> => {
  const r = checkEiceRoute(route);
  const credentials = await personCredentials(r.profile);
  const target = { endpointId: r.endpointId, dnsName: r.dnsName, privateIp: r.privateIp, port, region: r.region, maxDurationSeconds: r.maxTunnelSeconds };
  const url = await presignOpenTunnel(target, credentials);
  try {
    await pipeTunnel(url, { input: process.stdin, output: process.stdout, maxDurationSeconds: r.maxTunnelSeconds, target });
  } finally {
    // ssh may keep our stdin open: nothing more will be read from it.
    process.stdin.destroy();
  }
};
