// `lkp ssh exec` with a cached certificate, from one small bundle (dist/bundle/exec-hit.cjs,
// scripts/build-cli.js) that bin/lkp.js tries first: parse, read the key, the cache and
// known_hosts, stat the KRL copy, start ssh. It holds no yargs, no AWS SDK, no signer code,
// so a hit costs little more than starting node. Anything else (a miss, a KRL copy missing
// or older than KRL_MAX_AGE_MS, a transport other than direct, --refresh, --dry-run,
// --agent, --help, any error) is left to the full CLI, which decides and reports it as always.
import { parseArgs } from 'node:util';
import { prepareSshWith, type MissPath } from '../client/exec-core.js';
import { runSsh } from '../client/run-ssh.js';
import { chosenVia, clientContext, execOptions } from './client-context.js';
import { parseFast } from './command.js';
import { sshExecDecl } from './commands/ssh-exec-decl.js';
import { runCommand } from './run.js';

const NOT_CACHED = Symbol('not cached');
const giveUp = (): Promise<never> => Promise.reject(NOT_CACHED);
/** Whatever a hit cannot do alone is the full CLI's: so the hit runs ssh exactly as it would. */
const hitOnly: MissPath = { fetchHop: giveUp, routeHop: giveUp, refreshKrl: giveUp };

/** Runs `lkp ssh exec` when every certificate it needs is cached; false: not handled, nothing run. */
export const runCachedExec = async (argv: readonly string[]): Promise<boolean> => {
  let prepared: Awaited<ReturnType<typeof prepareSshWith>>;
  try {
    const args = parseFast(argv, { ...sshExecDecl, run: () => Promise.resolve() }, parseArgs);
    if (!args || args.refresh || args['dry-run'] || args.agent) return false;
    const { home, signers } = await clientContext(args);
    // A transport (--via, or the signer's "via") resolves its route with AWS: the full CLI's.
    if (chosenVia(args, signers) !== 'direct') return false;
    prepared = await prepareSshWith(execOptions(args, home, signers), () => Math.floor(Date.now() / 1000), hitOnly);
  } catch {
    // A miss, or an error the full CLI reports in its own words.
    return false;
  }
  await runCommand(() => runSsh(prepared.sshPath, prepared.argv, prepared.env));
  return true;
};
