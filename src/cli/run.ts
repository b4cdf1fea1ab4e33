// How every command ends: a typed error becomes one line on stderr and its exit code; an
// unexpected one says "internal error" without a stack (LKP_DEBUG=1 shows it).
import { exitCodeFor, LkpError } from '../errors.js';

/** Runs a command body and sets the process exit code. */
export const runCommand = async (body: () => Promise<number | void>): Promise<void> => {
  try {
    const code = await body();
    process.exitCode = code ?? 0;
  } catch (error) {
    if (error instanceof LkpError) {
      process.stderr.write(`lkp: ${error.code}: ${error.message}\n`);
      process.exitCode = exitCodeFor(error.code);
    } else {
      process.stderr.write(`lkp: internal error${process.env.LKP_DEBUG ? `: ${(error as Error)?.stack ?? String(error)}` : ' (set LKP_DEBUG=1 for details)'}\n`);
      process.exitCode = 70;
    }
  }
};
