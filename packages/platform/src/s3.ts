import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

// The AWS SDK is required on first use, not when the platform loads: loading it is a noticeable
// part of every process start, the hourly extractor's included, which never touches S3.
/* eslint-disable @typescript-eslint/no-require-imports */
const s3Sdk = () => require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
const presigner = () =>
  require('@aws-sdk/s3-request-presigner') as typeof import('@aws-sdk/s3-request-presigner');
/* eslint-enable @typescript-eslint/no-require-imports */

export interface S3Settings {
  endpoint?: string | undefined;
  region: string;
  forcePathStyle: boolean;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
}

export function createS3Client(settings: S3Settings): S3Client {
  const config: S3ClientConfig = { region: settings.region, forcePathStyle: settings.forcePathStyle };
  if (settings.endpoint) config.endpoint = settings.endpoint;
  if (settings.accessKeyId && settings.secretAccessKey) {
    config.credentials = { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey };
  }
  return new (s3Sdk().S3Client)(config);
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  const { CreateBucketCommand, HeadBucketCommand } = s3Sdk();
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
    }
  }
}

/** A time-limited GET link; the bucket itself stays private. */
export function presignDownload(
  s3: S3Client,
  bucket: string,
  key: string,
  expiresInSeconds: number,
): Promise<string> {
  return presigner().getSignedUrl(s3, new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key }), {
    expiresIn: expiresInSeconds,
  });
}
