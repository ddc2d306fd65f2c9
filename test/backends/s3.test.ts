import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { S3Backend } from '../../src/backends/s3.ts';
import { CorruptValueError, openBackend, StorageError } from '../../src/index.ts';
import { runConformanceSuite } from '../conformance/suite.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { startS3rver } from '../helpers/s3rver.ts';
import { uniqueName } from '../helpers/services.ts';

// A local S3-compatible server on loopback, started for these tests only. s3rver ignores
// If-Match / If-None-Match, so the store is opened with conditionalWrites: 'none' and the
// suite checks that conditional calls are refused clearly instead of being faked.
const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
const { server, endpoint } = await startS3rver(directory);
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
// toConfig() never holds the secret: reopening finds it where deployments keep it, the AWS environment.
process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;

afterAll(async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

const open = () =>
  S3Backend.open({
    bucket: 'stowage-test',
    prefix: uniqueName('conf'),
    endpoint,
    conditionalWrites: 'none',
    ...credentials,
  });

runConformanceSuite({
  name: 's3 (s3rver, conditional writes declared absent)',
  open,
  missing: () => ({
    type: 's3',
    bucket: 'stowage-test',
    prefix: uniqueName('missing'),
    endpoint,
    conditionalWrites: 'none',
  }),
  longSegmentsUnsupported:
    's3rver keeps each object as a local file and its suffix pushes a 255-byte segment past the file-name limit; S3 itself accepts 1024-byte keys',
});

describe('s3 extras', () => {
  it('opens from a URL, keeps prefixes apart and keeps the secret key out of its config', async () => {
    process.env.STOWAGE_TEST_S3_SECRET = 'S3RVER';
    const url = `s3://stowage-url/${uniqueName('p')}?endpoint=${encodeURIComponent(endpoint)}&accessKeyId=S3RVER&secretAccessKeyEnv=STOWAGE_TEST_S3_SECRET&conditionalWrites=none`;
    const a = await openBackend(url);
    const b = await open();
    await a.put('k', bytes('a'));
    expect(await b.get('k')).toBeUndefined();
    expect(text((await a.get('k'))?.value)).toBe('a');
    expect(a.toConfig()).toMatchObject({
      type: 's3',
      bucket: 'stowage-url',
      endpoint,
      secretAccessKeyEnv: 'STOWAGE_TEST_S3_SECRET',
    });
    expect(JSON.stringify([a.toConfig(), await a.info()])).not.toContain('"secretAccessKey"');
    expect(a.capabilities.atomicConditionalWrite).toBe(false);
    await a.close();
    await b.close();
  });

  it('reports an object whose bytes were changed behind its back as corrupt, naming key and backend', async () => {
    // What a torn overwrite on a non-atomic server (or bit rot) looks like from the client.
    const prefix = uniqueName('torn');
    const store = await S3Backend.open({
      bucket: 'stowage-test',
      prefix,
      endpoint,
      conditionalWrites: 'none',
      ...credentials,
    });
    await store.put('runs/1', bytes('the whole value'));
    // A copy: the SDK adds `$source` to the credentials object it is given, and this one is
    // spread into store options, which refuse options they do not know.
    const raw = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { ...credentials } });
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: 'stowage-test', Prefix: `${prefix}/` }));
    const name = listed.Contents?.[0]?.Key;
    expect(listed.Contents).toHaveLength(1);
    const object = await raw.send(new GetObjectCommand({ Bucket: 'stowage-test', Key: name }));
    const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    const last = body.length - 1;
    body.writeUInt8((body.readUInt8(last) ^ 0xff) & 0xff, last);
    await raw.send(new PutObjectCommand({ Bucket: 'stowage-test', Key: name, Body: body }));
    const error = await store.get('runs/1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptValueError);
    expect(String(error)).toContain('runs/1');
    expect(String(error)).toContain('s3://stowage-test/');
    raw.destroy();
    await store.close();
  });

  it('explains why conditional writes are refused', async () => {
    const store = await open();
    const error = await store.put('k', bytes('x'), { ifAbsent: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(String(error)).toMatch(/If-Match/);
    await store.close();
  });
});
