// Makes sure moto (the AWS emulator the AWS tests run against) is installed: tries pip
// once when it is absent, otherwise exits with the exact instruction.
import { spawnSync } from 'node:child_process';

const haveMoto = () => {
  const r = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
};

/** Returns when moto_server runs; exits the process with instructions otherwise. */
export const ensureMoto = () => {
  if (haveMoto()) return;
  console.log('moto_server is absent; trying: pip install "moto[server]"');
  spawnSync('python3', ['-m', 'pip', 'install', '-q', 'moto[server]'], { stdio: 'inherit' });
  if (haveMoto()) return;
  console.error('The AWS tests run against moto (an AWS emulator). Install it with:\n  pip install "moto[server]"\nthen run npm test again.');
  console.log('0 passed, 1 failed');
  process.exit(1);
};
