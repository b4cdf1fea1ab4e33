// Client config and signer choice shared by `lkp ssh exec`, `prepare` and `config`, and
// `lkp ssh exec`'s options from its arguments (the full CLI and the cache-hit entry alike).
import { chooseSigners, loadClientConfig, type SignerProfile } from '../client/config.js';
import { parseJump, type ExecOptions } from '../client/exec-core.js';
import { clientConfigFile, lkpHome } from '../client/home.js';
import { isPlainAddress } from '../client/ssh-config.js';
import { parseTransport, type Transport } from '../client/tunnel/transport.js';
import { LkpError } from '../errors.js';
import { parseLogin } from '../ssh/names.js';
import type { Args } from './command.js';

export const clientContext = async (args: Args) => {
  const home = lkpHome();
  const { file, explicit } = clientConfigFile();
  const config = await loadClientConfig(file, { explicit });
  const signers = chooseSigners(config, {
    ...(args.signer ? { signer: args.signer as string } : {}),
    ...(args['function-name'] ? { functionName: args['function-name'] as string } : {}),
    ...(args.region ? { region: args.region as string } : {}),
    ...(args.profile ? { profile: args.profile as string } : {}),
  });
  return { home, signers, ...(config.krlMaxAgeHours !== undefined ? { krlMaxAgeHours: config.krlMaxAgeHours } : {}) };
};

/** --via, else the signer profile's, else direct. */
export const chosenVia = (args: Args, signers: ReadonlyArray<{ via?: string }>): Transport => parseTransport((args.via as string | undefined) ?? signers[0]?.via ?? 'direct', '--via');

/**
 * `lkp ssh exec`'s arguments as options for prepareSsh. `lkpCommand` (the command that runs
 * lkp again, src/cli/self.ts) is needed only by --via eice, whose ProxyCommand it is.
 */
export const execOptions = (args: Args, home: string, signers: readonly SignerProfile[], lkpCommand?: readonly string[], krlMaxAgeHours?: number): ExecOptions => {
  const login = parseLogin((args.user as string | undefined) ?? signers[0]?.defaultLogin ?? 'ec2-user');
  if (args.port !== undefined && (!Number.isInteger(args.port) || (args.port as number) < 1 || (args.port as number) > 65535)) throw new LkpError('UsageError', '--port must be 1..65535');
  if (args.address !== undefined && !isPlainAddress(String(args.address))) throw new LkpError('UsageError', `--address ${JSON.stringify(String(args.address).slice(0, 120))} is not an IP address or DNS name`);
  const via = chosenVia(args, signers);
  return {
    instanceArn: args['instance-arn'] as string,
    login,
    signers,
    home,
    public: args.public as boolean,
    refresh: args.refresh as boolean,
    args: args['--'],
    ...(args.identity ? { identity: args.identity as string } : {}),
    ...(args.address ? { address: args.address as string } : {}),
    ...(args.port ? { port: args.port as number } : {}),
    jumps: ((args.jump as string[] | undefined) ?? []).map((j) => parseJump(j, login)),
    via,
    ...(args['eice-id'] ? { eiceId: args['eice-id'] as string } : {}),
    ...(via === 'eice' && lkpCommand ? { lkpCommand } : {}),
    ...(krlMaxAgeHours !== undefined ? { krlMaxAgeMs: krlMaxAgeHours * 3600_000 } : {}),
    ...(args['allow-stale-krl'] ? { allowStaleKrl: true } : {}),
  };
};
