#!/usr/bin/env node
// `npm run build:lambda`: bundle the signer's Lambda handler into build/lambda/ (ESM,
// entry index.mjs exporting `handler`, so the Lambda handler setting is `index.handler`)
// and zip it into build/lkp-signer-lambda.zip, ready to upload. No network needed.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { lkpBundleOptions } from './esbuild-sdk.js';

const out = path.resolve('build/lambda');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { index: 'src/signer/lambda.ts' },
  outdir: out,
  // Everything is bundled (the SDK clients too): the function does not depend on the SDK
  // version the Lambda runtime happens to ship. AWS-only paths are separate chunks, loaded
  // only when a config uses them.
  ...lkpBundleOptions,
  minify: true,
  logLevel: 'warning',
});

// `npm run build:lambda -- --config FILE`: ship that signer config as signer.json (checked
// first, so a broken policy never reaches AWS). Without it, set LKP_CONFIG_SSM_PARAMETER.
const configArg = process.argv.indexOf('--config');
if (configArg > 0) {
  const file = process.argv[configArg + 1];
  if (!file) throw new Error('--config needs a file');
  const { execFileSync } = await import('node:child_process');
  const check = `Promise.all([import('${path.resolve('dist/signer/config.js')}'), import('${path.resolve('dist/signer/lambda-config.js')}')]).then(async ([m, l]) => { const p = l.lambdaConfigProblem(await m.loadSignerConfig(process.argv[1])); if (p) throw new Error(p); }).catch((e) => { console.error(e.message); process.exit(1); })`;
  try {
    execFileSync(process.execPath, ['-e', check, file], { stdio: 'inherit' });
  } catch {
    console.error(`build:lambda: ${file} is not a valid signer config (see above); no zip was written`);
    process.exit(1);
  }
  const text = readFileSync(file, 'utf8');
  if (/"store"\s*:\s*"file"/.test(text)) console.warn('warning: this config keeps CA keys in files; in Lambda use secretsmanager or ssm stores');
  writeFileSync(path.join(out, 'signer.json'), text);
}

// A minimal zip writer (deflate, no external tool needed on a fresh machine).
const files = readdirSync(out).filter((f) => statSync(path.join(out, f)).isFile()).sort();
const local = [];
const central = [];
let offset = 0;
for (const name of files) {
  const data = readFileSync(path.join(out, name));
  const packed = deflateRawSync(data, { level: 9 });
  const nameBuf = Buffer.from(name);
  const crc = crc32(data);
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(0, 6);
  header.writeUInt16LE(8, 8);
  header.writeUInt32LE(0x00210000, 10); // 1980-01-01: reproducible
  header.writeUInt32LE(crc >>> 0, 14);
  header.writeUInt32LE(packed.length, 18);
  header.writeUInt32LE(data.length, 22);
  header.writeUInt16LE(nameBuf.length, 26);
  local.push(header, nameBuf, packed);
  const c = Buffer.alloc(46);
  c.writeUInt32LE(0x02014b50, 0);
  c.writeUInt16LE(0x031e, 4); // made by unix
  c.writeUInt16LE(20, 6);
  c.writeUInt16LE(8, 10);
  c.writeUInt32LE(0x00210000, 12);
  c.writeUInt32LE(crc >>> 0, 16);
  c.writeUInt32LE(packed.length, 20);
  c.writeUInt32LE(data.length, 24);
  c.writeUInt16LE(nameBuf.length, 28);
  c.writeUInt32LE((0o100644 << 16) >>> 0, 38);
  c.writeUInt32LE(offset, 42);
  central.push(c, nameBuf);
  offset += header.length + nameBuf.length + packed.length;
}
const centralBuf = Buffer.concat(central);
const end = Buffer.alloc(22);
end.writeUInt32LE(0x06054b50, 0);
end.writeUInt16LE(files.length, 8);
end.writeUInt16LE(files.length, 10);
end.writeUInt32LE(centralBuf.length, 12);
end.writeUInt32LE(offset, 16);
const zip = path.resolve('build/lkp-signer-lambda.zip');
writeFileSync(zip, Buffer.concat([...local, centralBuf, end]));
const total = files.reduce((n, f) => n + statSync(path.join(out, f)).size, 0);
console.log(`lambda bundle: ${out} (${files.length} files, ${(total / 1024).toFixed(0)} KiB); zip: ${zip} (${(statSync(zip).size / 1024).toFixed(0)} KiB)`);
console.log('upload the zip with handler "index.handler" on a nodejs20.x runtime; ship signer.json inside or set LKP_CONFIG_SSM_PARAMETER');
