// The one client-ec2 command the EICE transport adds (see ./ec2.ts for why each path names
// its commands): loaded only by `--via eice`.
export { EC2Client, DescribeInstanceConnectEndpointsCommand } from '@aws-sdk/client-ec2';
