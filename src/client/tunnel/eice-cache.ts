// What an EICE run learnt from EC2, kept for a bounded time so that a certificate cache hit
// makes no EC2 call: the instance's private IPv4 and VPC (next to its cached address, under
// hosts/ID/), and the endpoint per VPC (under eice/REGION/). A damaged, stale or foreign
// entry is a miss; a tunnel refused by a cached endpoint drops it and looks once more.
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomic } from '../../fs/write-atomic.js';
import { readObject } from '../../schema.js';

/** How long an entry is trusted (seconds): endpoints are rarely replaced, but they can be. */
export const EICE_CACHE_SECONDS = 3600;

export interface CachedInstance {
  readonly privateIp: string;
  readonly vpcId?: string;
  readonly subnetId?: string;
}

export interface CachedEndpoint {
  readonly endpointId: string;
  readonly dnsName: string;
}

const ID = /^[a-z]+-[0-9a-f]{8,17}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export const instanceCacheFile = (home: string, instanceId: string): string => path.join(home, 'hosts', instanceId, 'eice-instance.json');
/** `key` is the VPC id (the endpoint found there) or the endpoint id the user named. */
export const endpointCacheFile = (home: string, region: string, key: string): string => path.join(home, 'eice', region, `${key}.json`);

const fresh = (savedAt: number, now: number): boolean => savedAt <= now && now - savedAt < EICE_CACHE_SECONDS;

const readJson = async (file: string): Promise<unknown> => {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
};

const save = async (file: string, value: object): Promise<void> => {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeAtomic(file, `${JSON.stringify({ version: 1, ...value })}\n`, 0o600);
};

/** Strict reads: anything unexpected is a miss (the callers ask EC2 again). */
const parse = <T>(doc: unknown, fields: readonly string[], read: (r: ReturnType<typeof readObject>) => T): T | undefined => {
  try {
    const r = readObject(doc, 'cache', fields, 'ConfigInvalid');
    if (r.integer('version') !== 1) return undefined;
    return read(r);
  } catch {
    return undefined;
  }
};

export const readCachedInstance = async (home: string, instanceId: string, region: string, now: number): Promise<CachedInstance | undefined> => {
  if (!/^i-[0-9a-f]{8,17}$/.test(instanceId) || !REGION.test(region)) return undefined;
  return parse(await readJson(instanceCacheFile(home, instanceId)), ['version', 'region', 'privateIp', 'vpcId', 'subnetId', 'savedAt'], (r) => {
    if (r.string('region') !== region || !fresh(r.integer('savedAt'), now)) return undefined;
    const vpcId = r.optionalString('vpcId', { max: 32 });
    const subnetId = r.optionalString('subnetId', { max: 32 });
    if ((vpcId && !ID.test(vpcId)) || (subnetId && !ID.test(subnetId))) return undefined;
    return { privateIp: r.string('privateIp', { max: 15 }), ...(vpcId ? { vpcId } : {}), ...(subnetId ? { subnetId } : {}) };
  });
};

export const writeCachedInstance = (home: string, instanceId: string, region: string, facts: CachedInstance, now: number): Promise<void> =>
  save(instanceCacheFile(home, instanceId), { region, ...facts, savedAt: now });

export const readCachedEndpoint = async (home: string, region: string, key: string, now: number): Promise<CachedEndpoint | undefined> => {
  if (!ID.test(key) || !REGION.test(region)) return undefined;
  return parse(await readJson(endpointCacheFile(home, region, key)), ['version', 'endpointId', 'dnsName', 'savedAt'], (r) =>
    fresh(r.integer('savedAt'), now) ? { endpointId: r.string('endpointId', { max: 32 }), dnsName: r.string('dnsName', { max: 253 }) } : undefined,
  );
};

export const writeCachedEndpoint = async (home: string, region: string, key: string, endpoint: CachedEndpoint, now: number): Promise<void> => {
  if (!ID.test(key) || !REGION.test(region)) return;
  await save(endpointCacheFile(home, region, key), { endpointId: endpoint.endpointId, dnsName: endpoint.dnsName, savedAt: now });
};

export const dropCachedEndpoint = async (home: string, region: string, key: string): Promise<void> => {
  if (ID.test(key) && REGION.test(region)) await rm(endpointCacheFile(home, region, key), { force: true });
};
