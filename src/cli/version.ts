// lkp's version for --version. yargs would look for a package.json above its own folder,
// which in an npm global install (…/lib/node_modules) or the single binary is not lkp's
// and prints "unknown". The bundles carry the version (esbuild `define`, see
// scripts/build-cli.js and build-binary.js); tsc's output reads lkp's package.json.
import { readFileSync } from 'node:fs';

declare const LKP_VERSION: string | undefined;

/** The version this lkp was built from. */
export const lkpVersion = (): string => {
  if (typeof LKP_VERSION === 'string') return LKP_VERSION;
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};
