// Types for scripts/esbuild-sdk.js (the tests import it).
import type { Plugin } from 'esbuild';

export declare const literalSchemaKeys: (text: string) => string;
export declare const sdkSchemaPlugin: Plugin;
