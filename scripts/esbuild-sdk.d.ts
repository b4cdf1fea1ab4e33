// Types for scripts/esbuild-sdk.js (the tests import it).
import type { BuildOptions, Plugin } from 'esbuild';

export declare const literalSchemaKeys: (text: string) => string;
export declare const sdkSchemaPlugin: Plugin;
export declare const lkpBundleOptions: BuildOptions;
