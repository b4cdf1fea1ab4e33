// Runs the built Lambda bundle the way the Lambda runtime would: import index.mjs, call
// handler(event, context) for each event given as JSON lines on stdin, print each result
// (or the thrown error's name) as one JSON line.
import { createInterface } from 'node:readline';

const mod = await import(process.argv[2]);
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  try {
    const result = await mod.handler(JSON.parse(line), { awsRequestId: `req-${Math.random().toString(16).slice(2)}` });
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } catch (error) {
    process.stdout.write(`THROWN ${JSON.stringify({ name: error?.name, message: error?.message })}\n`);
  }
}
