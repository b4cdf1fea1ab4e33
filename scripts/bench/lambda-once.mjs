// Cold-start probe for `npm run bench`: a new node process imports the built Lambda
// bundle, answers ONE event (JSON in LKP_BENCH_EVENT) the way the Lambda runtime would,
// prints `RESULT <json>` and exits. The parent times spawn -> RESULT line.
const started = performance.now();
const mod = await import(process.argv[2]);
const imported = performance.now();
const result = await mod.handler(JSON.parse(process.env.LKP_BENCH_EVENT ?? 'null'), { awsRequestId: 'bench-cold' });
const answered = performance.now();
process.stdout.write(`RESULT ${JSON.stringify({ importMs: imported - started, handlerMs: answered - imported, sinceProcessStartMs: answered, result })}\n`);
process.exit(0);
