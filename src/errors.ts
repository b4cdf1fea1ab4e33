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
