// Loopback EC2 (query protocol, XML answers) serving DescribeInstances from a mutable map of
// instances the test controls, after a real SigV4 check; what the signer trusts for principals.
import { randomBytes, randomUUID } from 'node:crypto';
import { TEST_ACCOUNT, type CredentialRegistry, type TestIdentity } from './credentials.js';
import { parseForm, startHttpServer, xmlEscape, type FakeResponse, type RecordedRequest } from './http.js';
import { verifySigV4, type SigV4FailureCode } from './sigv4-verify.js';

// EC2's instance states; each has the numeric code DescribeInstances reports.
export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

const STATE_CODE: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

// One instance as DescribeInstances reports it; mutate through the FakeEc2 setters.
export interface FakeInstance {
  instanceId: string;
  reservationId: string;
  ownerId: string;
  state: InstanceStateName;
  imageId: string;
  instanceType: string;
  launchTime: Date;
  availabilityZone: string;
  privateDnsName: string;
  privateIpAddress?: string;
  /** Public DNS name; '' when the instance has no public address. */
  publicDnsName: string;
  publicIpAddress?: string;
  iamInstanceProfile?: { arn: string; id: string };
  tags: Record<string, string>;
  vpcId: string;
  subnetId: string;
}

// One EC2 Instance Connect Endpoint as DescribeInstanceConnectEndpoints reports it (moto has none).
export interface FakeInstanceConnectEndpoint {
  instanceConnectEndpointId: string;
  ownerId?: string;
  state: 'create-in-progress' | 'create-complete' | 'create-failed' | 'delete-in-progress' | 'delete-complete' | 'delete-failed';
  dnsName: string;
  fipsDnsName?: string;
  vpcId: string;
  subnetId: string;
  availabilityZone?: string;
}

// Fields a test may give to addInstance; everything else gets a plausible default.
export type InstanceInput = Partial<FakeInstance> & { instanceId?: string };

// One DescribeInstances call as judged, for assertions on region, caller and arguments.
export interface Ec2Call {
  action: string;
  region?: string;
  arn?: string;
  instanceIds: string[];
  filters: { name: string; values: string[] }[];
  errorCode?: string;
}

// Inputs of startFakeEc2: who is known, which instances exist, who may describe them.
export interface StartFakeEc2Options {
  registry: CredentialRegistry;
  instances?: InstanceInput[];
  /** Return false to answer UnauthorizedOperation (IAM deny). Default: allow. */
  authorize?: (identity: TestIdentity, action: string) => boolean;
  now?: () => Date;
  /** EC2's request-rate throttling of non-mutating actions; off unless given (see EC2_NON_MUTATING_BUCKET). */
  throttle?: ThrottleOptions;
  /** What DescribeInstanceConnectEndpoints lists (mutable through FakeEc2.endpoints). */
  instanceConnectEndpoints?: FakeInstanceConnectEndpoint[];
}

/** A token bucket per account and region: each call takes a token; with none left the call answers RequestLimitExceeded. */
export interface ThrottleOptions {
  capacity: number;
  refillPerSecond: number;
  /** Milliseconds on a monotonic clock (default performance.now). */
  clock?: () => number;
}

/** What EC2 documents for non-mutating actions such as DescribeInstances: bursts of 100, then 20 per second. */
export const EC2_NON_MUTATING_BUCKET: ThrottleOptions = { capacity: 100, refillPerSecond: 20 };

// Describe*, Get* and List* are EC2's non-mutating actions; each call takes one token.
const NON_MUTATING = /^(Describe|Get|List)/;

// A running EC2 fake and the levers a test pulls to change what DescribeInstances sees.
export interface FakeEc2 {
  url: string;
  close(): Promise<void>;
  requests: RecordedRequest[];
  calls: Ec2Call[];
  instances: Map<string, FakeInstance>;
  endpoints: FakeInstanceConnectEndpoint[];
  addInstance(input?: InstanceInput): FakeInstance;
  /** Sets the state with EC2's side effects (public address gone when stopped, profile gone when terminated). */
  setState(instanceId: string, state: InstanceStateName): FakeInstance;
  stop(instanceId: string): FakeInstance;
  terminate(instanceId: string): FakeInstance;
  setProfile(instanceId: string, profile: { arn: string; id: string } | undefined): FakeInstance;
  setTags(instanceId: string, tags: Record<string, string>): FakeInstance;
  remove(instanceId: string): boolean;
  setAuthorize(fn: (identity: TestIdentity, action: string) => boolean): void;
  /** The next n requests fail with this code/status before any check (e.g. RequestLimitExceeded 503). */
  failNext(n: number, code?: string, status?: number): void;
  /** Turns the per-account+region token bucket on (fresh, full buckets) or off (undefined). */
  setThrottle(options: ThrottleOptions | undefined): void;
}

const hex = (n: number): string => randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n);
const regionOf = (az: string): string => az.replace(/[a-z]$/, '');

// Builds an instance with AWS-shaped defaults (ids, DNS names) from a partial description.
export const makeInstance = (input: InstanceInput = {}): FakeInstance => {
  const availabilityZone = input.availabilityZone ?? 'us-east-1a';
  const region = regionOf(availabilityZone);
  const privateIpAddress = input.privateIpAddress ?? `10.0.${randomBytes(1)[0] ?? 0}.${(randomBytes(1)[0] ?? 0) % 250 + 4}`;
  const dashed = (ip: string): string => ip.replace(/\./g, '-');
  const internal = region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
  const publicIp = input.publicIpAddress;
  const external = region === 'us-east-1' ? 'compute-1.amazonaws.com' : `${region}.compute.amazonaws.com`;
  return {
    instanceId: input.instanceId ?? `i-${hex(17)}`,
    reservationId: input.reservationId ?? `r-${hex(17)}`,
    ownerId: input.ownerId ?? TEST_ACCOUNT,
    state: input.state ?? 'running',
    imageId: input.imageId ?? `ami-${hex(17)}`,
    instanceType: input.instanceType ?? 't3.micro',
    launchTime: input.launchTime ?? new Date(Math.floor(Date.now() / 1000) * 1000),
    availabilityZone,
    privateDnsName: input.privateDnsName ?? `ip-${dashed(privateIpAddress)}.${internal}`,
    privateIpAddress,
    publicDnsName: input.publicDnsName ?? (publicIp ? `ec2-${dashed(publicIp)}.${external}` : ''),
    ...(publicIp !== undefined ? { publicIpAddress: publicIp } : {}),
    ...('iamInstanceProfile' in input
      ? input.iamInstanceProfile !== undefined
        ? { iamInstanceProfile: input.iamInstanceProfile }
        : {}
      : { iamInstanceProfile: { arn: `arn:aws:iam::${input.ownerId ?? TEST_ACCOUNT}:instance-profile/lkp-host`, id: 'AIPAEXAMPLEPROFILE01' } }),
    tags: input.tags ?? {},
    vpcId: input.vpcId ?? 'vpc-0a1b2c3d4e5f60718',
    subnetId: input.subnetId ?? 'subnet-0a1b2c3d4e5f60718',
  };
};

class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const SIGV4_TO_EC2: Record<SigV4FailureCode, [string, number]> = {
  MissingAuthenticationToken: ['MissingAuthenticationToken', 401],
  IncompleteSignature: ['IncompleteSignature', 400],
  InvalidClientTokenId: ['AuthFailure', 401],
  SignatureDoesNotMatch: ['AuthFailure', 401],
  ExpiredToken: ['RequestExpired', 400],
  RequestExpired: ['RequestExpired', 400],
};

const errorXml = (code: string, message: string, status: number): FakeResponse => ({
  status,
  headers: { 'content-type': 'text/xml;charset=UTF-8' },
  body:
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xmlEscape(code)}</Code>` +
    `<Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`,
});

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

// EC2 filter values accept * and ? wildcards.
const globMatch = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's').test(value);

// Values an instance has for a filter name; undefined for a name EC2 would call invalid.
const filterValues = (i: FakeInstance, name: string): string[] | undefined => {
  if (name.startsWith('tag:')) {
    const v = i.tags[name.slice(4)];
    return v === undefined ? [] : [v];
  }
  const one = (v: string | undefined): string[] => (v === undefined || v === '' ? [] : [v]);
  switch (name) {
    case 'instance-id': return [i.instanceId];
    case 'instance-state-name': return [i.state];
    case 'instance-state-code': return [String(STATE_CODE[i.state])];
    case 'instance-type': return [i.instanceType];
    case 'image-id': return [i.imageId];
    case 'owner-id': return [i.ownerId];
    case 'reservation-id': return [i.reservationId];
    case 'availability-zone': return [i.availabilityZone];
    case 'private-ip-address': return one(i.privateIpAddress);
    case 'private-dns-name': return one(i.privateDnsName);
    case 'ip-address': return one(i.publicIpAddress);
    case 'dns-name': return one(i.publicDnsName);
    case 'vpc-id': return [i.vpcId];
    case 'subnet-id': return [i.subnetId];
    case 'iam-instance-profile.arn': return one(i.iamInstanceProfile?.arn);
    case 'iam-instance-profile.id': return one(i.iamInstanceProfile?.id);
    case 'tag-key': return Object.keys(i.tags);
    case 'tag-value': return Object.values(i.tags);
    default: return undefined;
  }
};

const KNOWN_FILTERS = new Set([
  'instance-id', 'instance-state-name', 'instance-state-code', 'instance-type', 'image-id', 'owner-id',
  'reservation-id', 'availability-zone', 'private-ip-address', 'private-dns-name', 'ip-address', 'dns-name',
  'vpc-id', 'subnet-id', 'iam-instance-profile.arn', 'iam-instance-profile.id', 'tag-key', 'tag-value',
]);

const instanceXml = (i: FakeInstance): string => {
  const el = (name: string, v: string | undefined): string => (v === undefined ? '' : `<${name}>${xmlEscape(v)}</${name}>`);
  const tags = Object.entries(i.tags)
    .map(([k, v]) => `<item><key>${xmlEscape(k)}</key><value>${xmlEscape(v)}</value></item>`)
    .join('');
  return (
    `<item>${el('instanceId', i.instanceId)}${el('imageId', i.imageId)}` +
    `<instanceState><code>${STATE_CODE[i.state]}</code><name>${i.state}</name></instanceState>` +
    `${el('privateDnsName', i.privateDnsName)}${el('dnsName', i.publicDnsName)}<reason/>` +
    `<amiLaunchIndex>0</amiLaunchIndex>${el('instanceType', i.instanceType)}` +
    `${el('launchTime', i.launchTime.toISOString())}` +
    `<placement>${el('availabilityZone', i.availabilityZone)}<groupName/><tenancy>default</tenancy></placement>` +
    `${el('subnetId', i.subnetId)}${el('vpcId', i.vpcId)}` +
    `${el('privateIpAddress', i.privateIpAddress)}${el('ipAddress', i.publicIpAddress)}` +
    (i.iamInstanceProfile ? `<iamInstanceProfile>${el('arn', i.iamInstanceProfile.arn)}${el('id', i.iamInstanceProfile.id)}</iamInstanceProfile>` : '') +
    (tags ? `<tagSet>${tags}</tagSet>` : '') +
    `</item>`
  );
};

const describeXml = (instances: FakeInstance[], nextToken: string | undefined): string => {
  const byReservation = new Map<string, FakeInstance[]>();
  for (const i of instances) byReservation.set(i.reservationId, [...(byReservation.get(i.reservationId) ?? []), i]);
  const reservations = [...byReservation.values()]
    .map((group) => {
      const first = group[0] as FakeInstance;
      return (
        `<item><reservationId>${xmlEscape(first.reservationId)}</reservationId><ownerId>${xmlEscape(first.ownerId)}</ownerId>` +
        `<groupSet/><instancesSet>${group.map(instanceXml).join('')}</instancesSet></item>`
      );
    })
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">` +
    `<requestId>${randomUUID()}</requestId><reservationSet>${reservations}</reservationSet>` +
    (nextToken ? `<nextToken>${nextToken}</nextToken>` : '') +
    `</DescribeInstancesResponse>`
  );
};

// Reads InstanceId.N and Filter.N.Name / Filter.N.Value.M from the form.
const parseArguments = (form: Map<string, string>): Pick<Ec2Call, 'instanceIds' | 'filters'> => {
  const ids: [number, string][] = [];
  const filters = new Map<number, { name: string; values: [number, string][] }>();
  for (const [k, v] of form) {
    let m = /^InstanceId\.(\d+)$/.exec(k);
    if (m) ids.push([Number(m[1]), v]);
    m = /^Filter\.(\d+)\.(Name|Value\.(\d+))$/.exec(k);
    if (m) {
      const f = filters.get(Number(m[1])) ?? { name: '', values: [] };
      if (m[2] === 'Name') f.name = v;
      else f.values.push([Number(m[3]), v]);
      filters.set(Number(m[1]), f);
    }
  }
  const byIndex = <T>(a: [number, T][]): T[] => a.sort((x, y) => x[0] - y[0]).map(([, v]) => v);
  return {
    instanceIds: byIndex(ids),
    filters: byIndex([...filters.entries()].map(([n, f]) => [n, { name: f.name, values: byIndex(f.values) }] as [number, { name: string; values: string[] }])),
  };
};

const ENDPOINT_FILTERS: Record<string, (e: FakeInstanceConnectEndpoint) => string[]> = {
  state: (e) => [e.state],
  'vpc-id': (e) => [e.vpcId],
  'subnet-id': (e) => [e.subnetId],
  'instance-connect-endpoint-id': (e) => [e.instanceConnectEndpointId],
};

// DescribeInstanceConnectEndpoints: InstanceConnectEndpointId.N, Filter.N (state, vpc-id, ...), one page.
const describeEndpoints = (all: FakeInstanceConnectEndpoint[], form: Map<string, string>, filters: Ec2Call['filters'], region: string): FakeResponse => {
  const ids = [...form.entries()].filter(([k]) => /^InstanceConnectEndpointId\.\d+$/.test(k)).map(([, v]) => v);
  const missing = ids.filter((id) => !all.some((e) => e.instanceConnectEndpointId === id));
  if (missing.length > 0) throw new Ec2Error('InvalidInstanceConnectEndpointId.NotFound', `The instance connect endpoint ID '${missing[0]}' does not exist`);
  let matched = ids.length > 0 ? all.filter((e) => ids.includes(e.instanceConnectEndpointId)) : all;
  for (const f of filters) {
    const values = ENDPOINT_FILTERS[f.name];
    if (!values) throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    matched = matched.filter((e) => values(e).some((v) => f.values.some((p) => globMatch(p, v))));
  }
  const el = (name: string, v: string | undefined): string => (v === undefined ? '' : `<${name}>${xmlEscape(v)}</${name}>`);
  const items = matched
    .map(
      (e) =>
        `<item>${el('ownerId', e.ownerId ?? TEST_ACCOUNT)}${el('instanceConnectEndpointId', e.instanceConnectEndpointId)}` +
        `${el('instanceConnectEndpointArn', `arn:aws:ec2:${region}:${e.ownerId ?? TEST_ACCOUNT}:instance-connect-endpoint/${e.instanceConnectEndpointId}`)}` +
        `${el('state', e.state)}${el('dnsName', e.dnsName)}${el('fipsDnsName', e.fipsDnsName)}${el('vpcId', e.vpcId)}` +
        `${el('availabilityZone', e.availabilityZone ?? `${region}a`)}${el('subnetId', e.subnetId)}<preserveClientIp>false</preserveClientIp></item>`,
    )
    .join('');
  return {
    status: 200,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstanceConnectEndpointsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${randomUUID()}</requestId><instanceConnectEndpointSet>${items}</instanceConnectEndpointSet></DescribeInstanceConnectEndpointsResponse>`,
  };
};

const describeInstances = (all: FakeInstance[], call: Ec2Call, form: Map<string, string>): FakeResponse => {
  for (const id of call.instanceIds) {
    if (!INSTANCE_ID.test(id)) throw new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
  }
  const missing = call.instanceIds.filter((id) => !all.some((i) => i.instanceId === id));
  if (missing.length === 1) throw new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
  if (missing.length > 1) throw new Ec2Error('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
  let matched = call.instanceIds.length > 0 ? all.filter((i) => call.instanceIds.includes(i.instanceId)) : all;
  for (const f of call.filters) {
    if (!KNOWN_FILTERS.has(f.name) && !f.name.startsWith('tag:')) {
      throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    }
    matched = matched.filter((i) => (filterValues(i, f.name) ?? []).some((v) => f.values.some((p) => globMatch(p, v))));
  }
  const maxResults = form.get('MaxResults');
  if (maxResults === undefined) return { status: 200, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: describeXml(matched, undefined) };
  if (call.instanceIds.length > 0) {
    throw new Ec2Error('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  }
  const size = Number(maxResults);
  if (!Number.isInteger(size) || size < 5 || size > 1000) {
    throw new Ec2Error('InvalidParameterValue', `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
  }
  const start = form.has('NextToken') ? Number(Buffer.from(form.get('NextToken') as string, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw new Ec2Error('InvalidPaginationToken', 'The pagination token is invalid.');
  const page = matched.slice(start, start + size);
  const next = start + size < matched.length ? Buffer.from(String(start + size)).toString('base64url') : undefined;
  return { status: 200, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: describeXml(page, next) };
};

// Starts the EC2 fake; point AWS_ENDPOINT_URL_EC2 at `url`.
export const startFakeEc2 = async (options: StartFakeEc2Options): Promise<FakeEc2> => {
  const instances = new Map<string, FakeInstance>();
  const endpoints = [...(options.instanceConnectEndpoints ?? [])];
  const calls: Ec2Call[] = [];
  const injected: { code: string; status: number }[] = [];
  let authorize = options.authorize ?? (() => true);
  const now = options.now ?? (() => new Date());
  let throttle = options.throttle;
  let buckets = new Map<string, { tokens: number; at: number }>();
  // Refills the caller's bucket for the time passed, then takes a token if one is left.
  const takeToken = (account: string, region: string): boolean => {
    if (throttle === undefined) return true;
    const t = (throttle.clock ?? (() => performance.now()))();
    const key = `${account}|${region}`;
    const b = buckets.get(key) ?? { tokens: throttle.capacity, at: t };
    b.tokens = Math.min(throttle.capacity, b.tokens + ((t - b.at) / 1000) * throttle.refillPerSecond);
    b.at = t;
    buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };

  const add = (input?: InstanceInput): FakeInstance => {
    const instance = makeInstance(input);
    instances.set(instance.instanceId, instance);
    return instance;
  };
  for (const input of options.instances ?? []) add(input);
  const get = (id: string): FakeInstance => {
    const i = instances.get(id);
    if (i === undefined) throw new Error(`fake EC2: no instance ${id}`);
    return i;
  };
  const setState = (id: string, state: InstanceStateName): FakeInstance => {
    const i = get(id);
    i.state = state;
    if (state === 'stopping' || state === 'stopped' || state === 'shutting-down' || state === 'terminated') {
      delete i.publicIpAddress;
      i.publicDnsName = '';
    }
    if (state === 'terminated') {
      delete i.iamInstanceProfile;
      delete i.privateIpAddress;
      i.privateDnsName = '';
    }
    return i;
  };

  const server = await startHttpServer(async (req) => {
    const form = parseForm(req.body.toString('utf8'));
    const call: Ec2Call = { action: form.get('Action') ?? '', ...parseArguments(form) };
    calls.push(call);
    try {
      const fault = injected.shift();
      if (fault !== undefined) throw new Ec2Error(fault.code, 'Request limit exceeded.', fault.status);
      const verdict = await verifySigV4(req, options.registry, { service: 'ec2', now: now() });
      if (!verdict.ok) {
        const [code, status] = SIGV4_TO_EC2[verdict.code];
        const message = code === 'AuthFailure' ? 'AWS was not able to validate the provided access credentials' : verdict.message;
        throw new Ec2Error(code, message, status);
      }
      call.region = verdict.region;
      call.arn = verdict.identity.arn;
      if (NON_MUTATING.test(call.action) && !takeToken(verdict.identity.account, verdict.region)) {
        throw new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
      }
      if (call.action !== 'DescribeInstances' && call.action !== 'DescribeInstanceConnectEndpoints') {
        throw new Ec2Error('InvalidAction', `The action ${call.action || '(none)'} is not valid for this web service.`);
      }
      if (!authorize(verdict.identity, `ec2:${call.action}`)) {
        throw new Ec2Error(
          'UnauthorizedOperation',
          `You are not authorized to perform this operation. User: ${verdict.identity.arn} is not authorized to perform: ec2:${call.action} because no identity-based policy allows the ec2:${call.action} action`,
          403,
        );
      }
      if (form.get('DryRun') === 'true') {
        throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
      }
      if (call.action === 'DescribeInstanceConnectEndpoints') return describeEndpoints(endpoints, form, call.filters, verdict.region);
      // An instance exists only in the region of its availability zone.
      const inRegion = [...instances.values()].filter((i) => regionOf(i.availabilityZone) === verdict.region);
      return describeInstances(inRegion, call, form);
    } catch (err) {
      if (!(err instanceof Ec2Error)) throw err;
      call.errorCode = err.code;
      return errorXml(err.code, err.message, err.status);
    }
  });

  return {
    url: server.url,
    close: server.close,
    requests: server.requests,
    calls,
    instances,
    endpoints,
    addInstance: add,
    setState,
    stop: (id) => setState(id, 'stopped'),
    terminate: (id) => setState(id, 'terminated'),
    setProfile: (id, profile) => {
      const i = get(id);
      if (profile === undefined) delete i.iamInstanceProfile;
      else i.iamInstanceProfile = profile;
      return i;
    },
    setTags: (id, tags) => {
      const i = get(id);
      i.tags = { ...tags };
      return i;
    },
    remove: (id) => instances.delete(id),
    setAuthorize: (fn) => {
      authorize = fn;
    },
    failNext: (n, code = 'RequestLimitExceeded', status = 503) => {
      for (let k = 0; k < n; k++) injected.push({ code, status });
    },
    setThrottle: (o) => {
      throttle = o;
      buckets = new Map();
    },
  };
};
