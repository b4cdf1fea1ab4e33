// Where the laptop side keeps its files, worked out in one place: LKP_HOME, else ~/.lkp;
// and the client config, LKP_CONFIG, else config.json there.
import os from 'node:os';
import path from 'node:path';

/** The lkp folder (key pair, certificate cache, known_hosts, client config). */
export const lkpHome = (env: NodeJS.ProcessEnv = process.env): string => path.resolve(env.LKP_HOME || path.join(os.homedir(), '.lkp'));

/** The client config file, and whether the user named it (then it must exist). */
export const clientConfigFile = (env: NodeJS.ProcessEnv = process.env): { file: string; explicit: boolean } =>
  env.LKP_CONFIG ? { file: path.resolve(env.LKP_CONFIG), explicit: true } : { file: path.join(lkpHome(env), 'config.json'), explicit: false };
