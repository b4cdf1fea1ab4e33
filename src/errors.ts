// One error type for all of lkp: a stable code from a closed list, a message a person
// can act on, and the underlying cause kept for logs (never printed to users).

/** Stable error codes. Signer answers and CLI exit codes are derived from these. */
export const ERROR_CODES = {
  // signer refusals (part of the public request API)
  BadRequest: 2,
  Unauthenticated: 3,
  Forbidden: 4,
  PayloadTooLarge: 5,
  NotFound: 6,
  Throttled: 7,
  Internal: 10,
  // local failures (CLI, host agent, client)
  ConfigInvalid: 20,
  UsageError: 21,
  KeyInvalid: 22,
  CaKeyUnavailable: 23,
  SignerUnreachable: 30,
  SignerError: 31,
  ImdsUnavailable: 32,
  AwsCredentialsMissing: 33,
  AwsError: 34,
  InstanceNotUsable: 35,
  SshdConfigInvalid: 40,
  SshdReloadFailed: 41,
  SshdConflict: 42,
  LoginUnknown: 43,
  FileSystem: 44,
  SshFailed: 50,
  ListenFailed: 51,
  EiceNotFound: 52,
  TunnelRefused: 53,
  TunnelLimit: 54,
  ToolMissing: 55,
  RotationTooEarly: 56,
  RotationNotLive: 57,
  HomeUnsafe: 58,
  RevocationListStale: 59,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The error every lkp module throws on purpose. `message` is safe to show a user. */
export class LkpError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LkpError';
    this.code = code;
  }
}

/** Exit code for a CLI process that failed with this error code. */
export const exitCodeFor = (code: ErrorCode): number => ERROR_CODES[code];

// Long base64/hex runs may be key material or tokens: never copy them into a log.
export const redact = (message: string): string =>
  message
    .replace(/[\r\n]+/g, ' ')
    .split(' ')
    .map((word) => (word.length >= 40 && !word.startsWith('/') ? '[redacted]' : word))
    .join(' ')
    .slice(0, 300);

/** An unexpected error's name and message for a log line (redacted; never its stack). */
export const describeError = (error: unknown): string =>
  error instanceof Error ? redact(`${error.name}: ${error.message}`) : typeof error;

/** The cause chain below an error, one "code: message" per level (for logs, never users). */
export const causeChain = (error: unknown, maxDepth = 8): string[] => {
  const out: string[] = [];
  let current: unknown = error instanceof Error ? error.cause : undefined;
  for (let i = 0; i < maxDepth && current !== undefined && current !== null; i += 1) {
    const e = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    const code = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : typeof current;
    const message = typeof e.message === 'string' ? e.message : String(current);
    out.push(`${code}: ${redact(message)}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return out;
};

