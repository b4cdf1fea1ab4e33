// How every command ends: a typed error becomes one line on stderr and its exit code; an
// expected OS failure (EEXIST, EADDRINUSE, ...) is typed on the way; an unexpected one
// says "internal error" without a stack. LKP_DEBUG=1 adds the cause chain or the stack.
import { causeChain, exitCodeFor, LkpError } from '../errors.js';
import { systemErrorToLkp } from '../system-error.js';

const debugChain = (error: unknown): string => {
  if (!process.env.LKP_DEBUG) return '';
  return causeChain(error).map((line) => `  caused by ${line}\n`).join('');
};

/** Runs a command body and sets the process exit code. */
export const runCommand = async (body: () => Promise<number | void>): Promise<void> => {
  try {
    const code = await body();
    process.exitCode = code ?? 0;
  } catch (caught) {
    const error = caught instanceof LkpError ? caught : (systemErrorToLkp(caught) ?? caught);
    if (error instanceof LkpError) {
      process.stderr.write(`lkp: ${error.code}: ${error.message}\n${debugChain(error)}`);
      process.exitCode = exitCodeFor(error.code);
    } else {
      process.stderr.write(`lkp: internal error${process.env.LKP_DEBUG ? `: ${(error as Error)?.stack ?? String(error)}` : ' (set LKP_DEBUG=1 for details)'}\n`);
      process.exitCode = 70;
    }
  }
};
