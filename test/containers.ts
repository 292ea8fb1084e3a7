import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { MongoDBContainer } from '@testcontainers/mongodb';
import { KafkaContainer } from '@testcontainers/kafka';

/** Real MongoDB, Kafka and an S3 server as containers, for machines with a Docker engine. */
export async function startContainers(): Promise<{ env: Record<string, string>; stop: () => Promise<void> }> {
  const accessKey = 'callsync-test';
  const secretKey = 'callsync-test-secret';
  const [mongo, kafka, s3] = await Promise.all([
    new MongoDBContainer('mongo:8.0').start(),
    new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start(),
    new GenericContainer('chrislusf/seaweedfs:latest')
      .withCommand(['mini', '-dir=/data', '-s3.port=8333'])
      .withEnvironment({ AWS_ACCESS_KEY_ID: accessKey, AWS_SECRET_ACCESS_KEY: secretKey })
      .withExposedPorts(8333)
      .withWaitStrategy(Wait.forListeningPorts())
      .start(),
  ]);
  const started: StartedTestContainer[] = [mongo, kafka, s3];
  return {
    env: {
      MONGODB_URL: `${mongo.getConnectionString()}/callsync?directConnection=true`,
      KAFKA_BROKERS: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
      S3_ENDPOINT: `http://${s3.getHost()}:${s3.getMappedPort(8333)}`,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: accessKey,
      S3_SECRET_ACCESS_KEY: secretKey,
    },
    stop: async () => {
      await Promise.all(started.map((c) => c.stop()));
    },
  };
}
