// The boot storm of `npm run bench`, as its own process (its SDK clients, sockets and
// garbage stay out of the bench's other timings): PARAMS.hosts simulated hosts ask for a
// host certificate within PARAMS.arrivalMs, against the signer as the Lambda and `lkp
// signer serve` assemble it (assembleSigner: the real aws verifiers and SDK clients), in
// this process, with STS/IAM/EC2 fakes in a child (storm-world.mjs) whose EC2 throttles
// DescribeInstances with EC2's token bucket. Each host retries a Throttled answer (or a
// timed-out attempt) with exponential backoff and full jitter inside a retry window, as
// `lkp host` does; any other refusal is final (the host gives up).
// Usage: node storm.mjs FAKES_BUNDLE.mjs   (env LKP_BENCH_STORM_RUN: { configFile, hostKey },
// LKP_BENCH_STORM_PARAMS: optional JSON overriding PARAMS, for a scaled-down try).
// Prints `PROGRESS ...` lines and one `RESULT <json>`.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PARAMS } from './storm-params.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const P = { ...PARAMS, ...JSON.parse(process.env.LKP_BENCH_STORM_PARAMS ?? '{}') };
const run = JSON.parse(process.env.LKP_BENCH_STORM_RUN ?? '{}');
const dist = (rel) => import(pathToFileURL(path.join(ROOT, 'dist', rel)).href);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The fakes.
const world = spawn(process.execPath, [path.join(ROOT, 'scripts/bench/storm-world.mjs'), process.argv[2]], {
  env: { ...process.env, LKP_BENCH_STORM: JSON.stringify({ hosts: P.hosts, throttle: P.bucket }) },
  stdio: ['pipe', 'pipe', 'inherit'],
});
let worldOut = '';
const waiters = [];
world.stdout.on('data', (d) => {
  worldOut += d.toString();
  let nl;
  while ((nl = worldOut.indexOf('\n')) >= 0) {
    const line = worldOut.slice(0, nl);
    worldOut = worldOut.slice(nl + 1);
    const w = waiters.findIndex((x) => line.startsWith(x.prefix));
    if (w >= 0) waiters.splice(w, 1)[0].resolve(JSON.parse(line.slice(line.indexOf(' ') + 1)));
  }
});
const nextLine = (prefix) => new Promise((resolve) => waiters.push({ prefix, resolve }));
const fail = (why) => {
  process.stdout.write(`STORM-ERROR ${why}\n`);
  world.kill('SIGKILL');
  process.exit(1);
};
world.once('exit', (code) => fail(`the storm's fakes exited (${code})`));
const startTimer = setTimeout(() => fail('the storm fakes did not start in 60 s'), 60_000);
const w = await nextLine('WORLD ');
clearTimeout(startTimer);

// This process is the signer: its SDK clients read these (all loopback; the guard checks).
Object.assign(process.env, {
  AWS_ENDPOINT_URL_STS: w.sts,
  AWS_ENDPOINT_URL_EC2: w.ec2,
  ...(w.iam ? { AWS_ENDPOINT_URL_IAM: w.iam } : {}),
  AWS_ACCESS_KEY_ID: w.signer.accessKeyId,
  AWS_SECRET_ACCESS_KEY: w.signer.secretAccessKey,
  AWS_REGION: 'us-east-1',
});
const { loadSignerConfig } = await dist('signer/config.js');
const { assembleSigner } = await dist('signer/assemble.js');
const { streamAuditSink } = await dist('signer/audit.js');
const { createAwsProof } = await dist('aws/identity-proof.js');
const { requestDigest } = await dist('api/digest.js');
const { parsePublicKey } = await dist('ssh/public-key.js');
const config = await loadSignerConfig(run.configFile);
const auditCodes = {};
const internalReasons = [];
const handler = await assembleSigner(config, {
  audit: streamAuditSink((line) => {
    const a = JSON.parse(line);
    const k = a.outcome === 'issued' ? 'issued' : (a.code ?? a.outcome);
    auditCodes[k] = (auditCodes[k] ?? 0) + 1;
    if (k === 'Internal' && internalReasons.length < 5) internalReasons.push(String(a.reason).slice(0, 300));
  }),
});
const digest = requestDigest({ action: 'host-cert', publicKeys: [parsePublicKey(run.hostKey)] });

// One simulated host: fresh proof per attempt, Throttled or a timeout -> back off and retry.
const answers = {};
const hosts = w.hosts.map((h) => ({ ...h, arrival: Math.random() * P.arrivalMs, attempts: 0, outcome: 'waiting', firstAt: NaN, doneAt: NaN }));
let t0 = NaN; // the storm's first request
let stopped = false;
const askOnce = async (h) => {
  const proof = await createAwsProof({ credentials: { accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey, sessionToken: h.sessionToken }, region: 'us-east-1', audience: config.serverId, digest });
  const event = { version: 1, action: 'host-cert', identity: { method: 'aws', proof }, publicKeys: [run.hostKey] };
  let timer;
  const timeout = new Promise((r) => (timer = setTimeout(() => r({ timedOut: true }), P.attemptTimeoutMs)));
  try {
    return await Promise.race([handler(event).catch((e) => ({ crashed: String(e?.message ?? e) })), timeout]);
  } finally {
    clearTimeout(timer);
  }
};
const host = async (h) => {
  await sleep(h.arrival);
  h.firstAt = performance.now();
  if (Number.isNaN(t0)) t0 = h.firstAt;
  for (;;) {
    if (stopped) return;
    h.attempts += 1;
    const a = await askOnce(h);
    const kind = a.certificates ? 'issued' : a.timedOut ? 'timeout' : a.crashed ? 'crash' : (a.error?.code ?? 'odd');
    answers[kind] = (answers[kind] ?? 0) + 1;
    if (kind === 'issued') {
      h.outcome = 'certified';
      h.doneAt = performance.now();
      return;
    }
    if (kind !== 'Throttled' && kind !== 'timeout') {
      h.outcome = `refused ${kind}`;
      return;
    }
    const delay = Math.random() * Math.min(P.backoff.capMs, P.backoff.baseMs * 2 ** (h.attempts - 1));
    if (performance.now() + delay - h.firstAt > P.windowMs) {
      h.outcome = 'gave up (window)';
      return;
    }
    await sleep(delay);
  }
};

const started = performance.now();
const all = Promise.all(hosts.map(host));
const certified = () => hosts.filter((h) => h.outcome === 'certified').length;
const progress = setInterval(() => {
  const s = Number.isNaN(t0) ? 0 : (performance.now() - t0) / 1000;
  process.stdout.write(`PROGRESS ${s.toFixed(0)} s after the first request: ${certified()}/${hosts.length} certified, answers ${JSON.stringify(answers)}\n`);
}, P.progressEveryMs);
const bound = sleep(P.arrivalMs + P.boundMs).then(() => 'bound');
const how = await Promise.race([all.then(() => 'done'), bound]);
stopped = true;
clearInterval(progress);
world.stdin.write('STATS\n');
const ec2 = await Promise.race([nextLine('STATS '), sleep(10_000).then(() => ({}))]);
const since = (h) => (h.doneAt - t0) / 1000;
const own = (h) => (h.doneAt - h.firstAt) / 1000;
const done = hosts.filter((h) => h.outcome === 'certified');
const outcomes = {};
for (const h of hosts) outcomes[h.outcome] = (outcomes[h.outcome] ?? 0) + 1;
process.stdout.write(
  `RESULT ${JSON.stringify({
    params: P,
    ended: how,
    wallS: (performance.now() - started) / 1000,
    hosts: hosts.length,
    certified: done.length,
    outcomes,
    answers,
    audit: auditCodes,
    internalReasons,
    sinceFirstS: done.map(since),
    ownS: done.map(own),
    attempts: hosts.map((h) => h.attempts),
    lastArrivalS: (Math.max(...hosts.map((h) => h.firstAt)) - t0) / 1000,
    ec2,
    signerEc2: { note: 'maxAttempts/retryMode as set in src/signer/identity/aws-verifiers.ts' },
  })}\n`,
);
world.removeAllListeners('exit');
world.stdin.end();
setTimeout(() => process.exit(0), 2000).unref();
await new Promise((r) => world.once('exit', r));
process.exit(0);
