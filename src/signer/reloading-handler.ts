// A signer handler that follows its config without an outage: before a request it asks,
// at most every `checkEveryMs`, whether the config changed (a file's identity and mtime for
// `lkp signer serve`, the SSM parameter's text for the Lambda); a changed config is built
// into a new handler (CA keys loaded and checked) and swapped in only when that succeeds.
// A config that fails keeps the old handler answering, and is reported once.
import type { SignerHandler } from './handle.js';

/** What the config is now: a cheap version string, and how to build a signer from exactly that. */
export interface ConfigSnapshot {
  readonly version: string;
  build(): Promise<SignerHandler>;
}

export type ReloadEvent = { readonly ok: true; readonly version: string } | { readonly ok: false; readonly version?: string; readonly error: unknown };

export interface ReloadingOptions {
  readonly initial: { readonly version: string; readonly handler: SignerHandler };
  readonly probe: () => Promise<ConfigSnapshot>;
  /** 0 = before every request. */
  readonly checkEveryMs: number;
  /**
   * Whether the request that triggers a check waits for it (a local file: fast, and the
   * change shows at once) or is answered by the current signer while it runs (a remote
   * config: a slow or failing SSM must not hold up requests).
   */
  readonly waitForCheck: boolean;
  readonly nowMs?: () => number;
  readonly onReload?: (event: ReloadEvent) => void;
}

export interface ReloadingHandler {
  readonly handler: SignerHandler;
  /** Reloads now, even when the version looks the same (SIGHUP: a key file may have changed). */
  reload(): Promise<boolean>;
  /** Resolves when no check is running (a check started in the background has finished). */
  settled(): Promise<void>;
}

/** Wraps a signer so that config changes reach it between requests. */
export const reloadingHandler = (opts: ReloadingOptions): ReloadingHandler => {
  const nowMs = opts.nowMs ?? Date.now;
  let current = opts.initial;
  let failedVersion: string | undefined;
  let lastCheck = nowMs();
  let inFlight: Promise<boolean> | undefined;

  const check = (force: boolean): Promise<boolean> => {
    inFlight ??= (async () => {
      let snapshot: ConfigSnapshot | undefined;
      try {
        snapshot = await opts.probe();
        if (!force && (snapshot.version === current.version || snapshot.version === failedVersion)) return false;
        const handler = await snapshot.build();
        current = { version: snapshot.version, handler };
        failedVersion = undefined;
        opts.onReload?.({ ok: true, version: snapshot.version });
        return true;
      } catch (error) {
        failedVersion = snapshot?.version;
        opts.onReload?.({ ok: false, ...(snapshot ? { version: snapshot.version } : {}), error });
        return false;
      } finally {
        lastCheck = nowMs();
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  return {
    handler: async (event, requestId, transportError) => {
      if (inFlight || nowMs() - lastCheck >= opts.checkEveryMs) {
        const checking = check(false);
        if (opts.waitForCheck) await checking;
      }
      return current.handler(event, requestId, transportError);
    },
    reload: () => (inFlight ? inFlight.then(() => check(true)) : check(true)),
    settled: async () => void (await inFlight),
  };
};
