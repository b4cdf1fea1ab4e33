// Entry point of the single-binary build (Node's single executable application): the
// same CLI as bin/lkp.js, bundled into one file by scripts/build-binary.js.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import('./main.js').then(
  (m) => m.main(process.argv.slice(2)),
  (error: unknown) => {
    process.stderr.write(`lkp: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 70;
  },
);
