// The names lkp uses from @aws-sdk/client-ec2, and only those: a dynamic import of the
// package itself would keep its whole index (1 MiB) in the bundles; through this module
// esbuild keeps DescribeInstances alone (with scripts/esbuild-sdk.js: ~30 KiB).
export { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
