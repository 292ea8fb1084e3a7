import type Koa from 'koa';
import type { Admin } from '@platformatic/kafka';
import type { Db } from 'mongodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Registry } from 'prom-client';
import { envVars, parseEnv } from './env';
import { createLogger, type Logger } from './logger';
import { createMetricsRegistry } from './metrics';
import { startTracing } from './tracing';
import { connectMongo, ensureIndexes, pingMongo, type MongoConnection } from './mongo';
import { createKafka, ensureTopics, kafkaSecurity, Topics, type Kafka, type TopicName } from './kafka';
import { createS3Client, ensureBucket } from './s3';
import { startServiceServer, type ReadinessCheck, type ServiceServer } from './http-server';
import { installShutdown, type ShutdownStep } from './lifecycle';

/** What every service has once started: the same logger, metrics, clients and HTTP side. */
export interface ServiceRuntime {
  service: string;
  logger: Logger;
  registry: Registry;
  mongo: MongoConnection;
  db: Db;
  kafka: Kafka;
  s3?: { client: S3Client; bucket: string };
  server: ServiceServer;
  /** Registers work to stop on SIGTERM; later registrations stop first (stop consuming before closing clients). */
  onShutdown(step: ShutdownStep): void;
  shutdown(): Promise<void>;
}

export interface ServiceRuntimeOptions<Mounted = void> {
  service: string;
  defaultPort: number;
  topics?: TopicName[];
  needsS3?: boolean;
  readiness?: Record<string, ReadinessCheck>;
  /** The service's own routes; what it returns is the runtime's `mounted` (see startServiceServer). */
  routes?: (app: Koa, runtime: Omit<ServiceRuntime, 'server'>) => Mounted;
  env?: Record<string, string | undefined>;
}

export const commonEnv = {
  LOG_LEVEL: envVars.LOG_LEVEL,
  METRICS_PORT: envVars.METRICS_PORT,
  MONGODB_URL: envVars.MONGODB_URL,
  MONGODB_DATABASE: envVars.MONGODB_DATABASE,
  KAFKA_BROKERS: envVars.KAFKA_BROKERS,
  KAFKA_CLIENT_ID: envVars.KAFKA_CLIENT_ID,
  ENSURE_SCHEMA_AT_START: envVars.ENSURE_SCHEMA_AT_START,
  KAFKA_TOPIC_PARTITIONS: envVars.KAFKA_TOPIC_PARTITIONS,
  KAFKA_REPLICATION_FACTOR: envVars.KAFKA_REPLICATION_FACTOR,
  KAFKA_MIN_INSYNC_REPLICAS: envVars.KAFKA_MIN_INSYNC_REPLICAS,
  KAFKA_SSL: envVars.KAFKA_SSL,
  KAFKA_SASL_MECHANISM: envVars.KAFKA_SASL_MECHANISM,
  KAFKA_SASL_USERNAME: envVars.KAFKA_SASL_USERNAME,
  KAFKA_SASL_PASSWORD: envVars.KAFKA_SASL_PASSWORD,
  OTEL_EXPORTER_OTLP_ENDPOINT: envVars.OTEL_EXPORTER_OTLP_ENDPOINT,
  SHUTDOWN_TIMEOUT_MS: envVars.SHUTDOWN_TIMEOUT_MS,
};

const s3Env = {
  S3_ENDPOINT: envVars.S3_ENDPOINT,
  S3_REGION: envVars.S3_REGION,
  S3_BUCKET: envVars.S3_BUCKET,
  S3_FORCE_PATH_STYLE: envVars.S3_FORCE_PATH_STYLE,
  S3_ACCESS_KEY_ID: envVars.S3_ACCESS_KEY_ID,
  S3_SECRET_ACCESS_KEY: envVars.S3_SECRET_ACCESS_KEY,
};

/** A readiness probe for Kafka that reuses one admin connection and asks the broker for metadata. */
function kafkaReadiness(admin: Admin): ReadinessCheck {
  return async () => {
    await admin.metadata({ topics: [], forceUpdate: true });
  };
}

/**
 * Starts the parts every service shares, in one order: environment (refuses to start on a bad
 * variable), logging, tracing, metrics, MongoDB (with indexes), Kafka (with topics), S3, then the
 * HTTP side with health, readiness and metrics. `main.ts` of each service adds only its own work.
 */
export async function startServiceRuntime<Mounted = void>(
  options: ServiceRuntimeOptions<Mounted>,
): Promise<ServiceRuntime & { mounted: Mounted | undefined }> {
  const source = options.env ?? process.env;
  const env = parseEnv({ ...commonEnv, PORT: envVars.PORT.default(options.defaultPort) }, source);
  const kafkaOptions = kafkaSecurity(env);
  const s3Settings = options.needsS3 ? parseEnv(s3Env, source) : undefined;
  const logger = createLogger(options.service, env.LOG_LEVEL);
  const stopTracing = startTracing(options.service, env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const registry = createMetricsRegistry(options.service);

  const mongo = await connectMongo(env.MONGODB_URL, env.MONGODB_DATABASE);
  if (env.ENSURE_SCHEMA_AT_START) await ensureIndexes(mongo.db);
  const { kafka } = createKafka(
    env.KAFKA_CLIENT_ID ?? `callsync-${options.service}`,
    env.KAFKA_BROKERS,
    logger,
    kafkaOptions,
  );
  if (env.ENSURE_SCHEMA_AT_START)
    await ensureTopics(kafka, options.topics ?? Object.values(Topics), {
      partitions: env.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: env.KAFKA_REPLICATION_FACTOR,
      minInsyncReplicas: env.KAFKA_MIN_INSYNC_REPLICAS,
    });
  const admin = kafka.admin();

  let s3: ServiceRuntime['s3'];
  if (s3Settings) {
    const client = createS3Client({
      endpoint: s3Settings.S3_ENDPOINT,
      region: s3Settings.S3_REGION,
      forcePathStyle: s3Settings.S3_FORCE_PATH_STYLE,
      accessKeyId: s3Settings.S3_ACCESS_KEY_ID,
      secretAccessKey: s3Settings.S3_SECRET_ACCESS_KEY,
    });
    await ensureBucket(client, s3Settings.S3_BUCKET);
    s3 = { client, bucket: s3Settings.S3_BUCKET };
  }

  const steps: ShutdownStep[] = [];
  const base = {
    service: options.service,
    logger,
    registry,
    mongo,
    db: mongo.db,
    kafka,
    ...(s3 ? { s3 } : {}),
    onShutdown: (step: ShutdownStep) => {
      steps.unshift(step);
    },
    shutdown: async () => undefined,
  };
  const routes = options.routes;
  const server = await startServiceServer({
    service: options.service,
    port: env.PORT,
    ...(env.METRICS_PORT !== undefined ? { metricsPort: env.METRICS_PORT } : {}),
    logger,
    registry,
    readiness: { mongo: () => pingMongo(mongo.db), kafka: kafkaReadiness(admin), ...options.readiness },
    ...(routes ? { routes: (app: Koa) => routes(app, base) } : {}),
  });

  const finalSteps: ShutdownStep[] = [
    { name: 'drain http', run: async () => server.setDraining() },
    {
      name: 'service work',
      run: async () => {
        for (const step of steps) await step.run();
      },
    },
    { name: 'http server', run: () => server.close() },
    { name: 'kafka admin', run: () => admin.close() },
    { name: 'mongo', run: () => mongo.close() },
    { name: 'tracing', run: stopTracing },
  ];
  const shutdown = installShutdown(logger, finalSteps, env.SHUTDOWN_TIMEOUT_MS);
  logger.info({ port: server.port, metricsPort: server.metricsPort }, `${options.service} listening`);
  return { ...base, server, shutdown, mounted: server.mounted };
}
