import { randomBytes, createHash } from 'node:crypto';
import { Upload } from '@aws-sdk/lib-storage';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, ensureBucket, presignDownload } from '@call-sync/platform';
import { serverEnv, uniqueName } from '../../../test/support/env';

let s3: S3Client;
const bucket = uniqueName('s3-test').toLowerCase();

beforeAll(async () => {
  const { s3: settings } = serverEnv();
  s3 = createS3Client({ ...settings, forcePathStyle: true });
  await ensureBucket(s3, bucket);
});

afterAll(() => s3.destroy());

test('a multipart upload of more than 10 MB reads back byte for byte through a presigned URL', async () => {
  const body = randomBytes(12 * 1024 * 1024 + 123);
  const key = 'exports/big.csv';
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: body, ContentType: 'text/csv' },
    partSize: 5 * 1024 * 1024,
    queueSize: 2,
  });
  const parts: number[] = [];
  upload.on('httpUploadProgress', (progress) => parts.push(progress.part ?? 0));
  await upload.done();
  expect(new Set(parts).size).toBeGreaterThanOrEqual(3);

  const url = await presignDownload(s3, bucket, key, 60);
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const downloaded = Buffer.from(await response.arrayBuffer());
  expect(downloaded.length).toBe(body.length);
  expect(createHash('sha256').update(downloaded).digest('hex')).toBe(
    createHash('sha256').update(body).digest('hex'),
  );
});

test('an expired presigned URL is refused', async () => {
  const key = 'exports/short-lived.csv';
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'a,b\n1,2\n' }));
  // Signing times are whole seconds, so a link's real life is up to a second shorter than asked:
  // 5 s leaves a busy machine room for the first read.
  const url = await presignDownload(s3, bucket, key, 5);
  expect((await fetch(url)).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 6500));
  expect((await fetch(url)).status).toBe(403);
});

test('an unsigned request and a wrong secret are refused', async () => {
  const key = 'exports/private.csv';
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'secret' }));
  const { s3: settings } = serverEnv();
  expect((await fetch(`${settings.endpoint}/${bucket}/${key}`)).status).toBe(403);
  const forged = createS3Client({ ...settings, secretAccessKey: 'not-the-secret', forcePathStyle: true });
  await expect(forged.send(new PutObjectCommand({ Bucket: bucket, Key: 'x', Body: 'x' }))).rejects.toThrow();
  forged.destroy();
});
