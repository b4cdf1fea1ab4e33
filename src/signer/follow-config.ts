// How each runtime notices a new signer config (CA rotation, policy edits) without a restart:
// `lkp signer serve` compares the config file's inode, size and mtime at most once a second
// (a rotation step replaces it by rename) and reloads at once on SIGHUP; the Lambda re-reads
// its SSM parameter in the background when CONFIG_TTL_MS has passed. Either way the new config must load fully
// (CA keys included) before it answers; until then the old one does.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { LkpError } from '../errors.js';
import { loadSignerConfig, parseSignerConfig, type SignerConfig } from './config.js';
import type { SignerHandler } from './handle.js';
import { reloadingHandler, type ReloadEvent, type ReloadingHandler } from './reloading-handler.js';

/** How often `lkp signer serve` looks at its config file's mtime. */
export const FILE_CHECK_MS = 1_000;
/** How long a Lambda container keeps its SSM config before reading it again. */
export const CONFIG_TTL_MS = 60_000;

const fileVersion = async (file: string): Promise<string> => {
  try {
    const s = await stat(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch (error) {
    throw new LkpError('ConfigInvalid', `cannot read signer config ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
};

/** A signer that follows a config file (stat'ed before it is read, so a change in between is seen next time). */
export const followConfigFile = async (file: string, build: (config: SignerConfig) => Promise<SignerHandler>, onReload?: (event: ReloadEvent) => void): Promise<ReloadingHandler> => {
  const version = await fileVersion(file);
  const handler = await build(await loadSignerConfig(file));
  return reloadingHandler({
    initial: { version, handler },
    checkEveryMs: FILE_CHECK_MS,
    waitForCheck: true,
    probe: async () => {
      const v = await fileVersion(file);
      return { version: v, build: async () => build(await loadSignerConfig(file)) };
    },
    ...(onReload ? { onReload } : {}),
  });
};

/** Parses a config document held as text (an SSM parameter). */
export const parseConfigText = (text: string, label: string): SignerConfig => {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new LkpError('ConfigInvalid', `${label} is not valid JSON`, { cause: error });
  }
  return parseSignerConfig(doc, label);
};

/**
 * A signer that re-reads a config text (the Lambda's SSM parameter) at most every `ttlMs`,
 * in the background: the request that starts the read is answered by the current config.
 */
export const followConfigText = async (
  fetchText: () => Promise<string>,
  label: string,
  build: (config: SignerConfig) => Promise<SignerHandler>,
  opts: { ttlMs?: number; nowMs?: () => number; onReload?: (event: ReloadEvent) => void } = {},
): Promise<ReloadingHandler> => {
  const digest = (text: string): string => createHash('sha256').update(text).digest('hex');
  const text = await fetchText();
  const handler = await build(parseConfigText(text, label));
  return reloadingHandler({
    initial: { version: digest(text), handler },
    checkEveryMs: opts.ttlMs ?? CONFIG_TTL_MS,
    waitForCheck: false,
    probe: async () => {
      const now = await fetchText();
      return { version: digest(now), build: () => build(parseConfigText(now, label)) };
    },
    ...(opts.nowMs ? { nowMs: opts.nowMs } : {}),
    ...(opts.onReload ? { onReload: opts.onReload } : {}),
  });
};
