// The van-writer can be scaled on its consumer lag by KEDA instead of on CPU. Off by default; on,
// the chart renders a ScaledObject on the van-writer's own group and topic and no HPA of its own
// (two autoscalers on one Deployment fight), leaves the replica count to KEDA, authenticates to
// Kafka as the services do, and refuses more replicas than van-sync has partitions, since the extra
// consumers would get none.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Topics } from '../../packages/platform/src/kafka/topics';
import { helmBinary, renderChart, VALUES_FILES } from './chart';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec: {
    replicas?: number;
    scaleTargetRef?: { apiVersion?: string; kind?: string; name: string };
    minReplicaCount?: number;
    maxReplicaCount?: number;
    triggers?: {
      type: string;
      metadata: Record<string, string>;
      authenticationRef?: { name: string };
    }[];
    secretTargetRef?: { parameter: string; name: string; key: string }[];
    template?: {
      spec: {
        containers: {
          env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
        }[];
      };
    };
  };
}

/** The group the van-writer consumes van-sync in when KAFKA_CONSUMER_GROUP is unset, from its source. */
const VAN_WRITER_GROUP = /groupId: settings\.KAFKA_CONSUMER_GROUP \?\? '([^']+)'/.exec(
  readFileSync(path.join(__dirname, '../../services/van-writer/src/main.ts'), 'utf8'),
)?.[1];

const KEDA = ['vanWriter.keda.enabled=true'];
const of = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
const vanWriter = (manifests: Manifest[]) =>
  of(manifests, 'Deployment').find((m) => m.metadata.name.endsWith('-van-writer'))!;

let helm: string;
beforeAll(() => {
  helm = helmBinary();
}, 10 * 60_000);

test.each(VALUES_FILES)('off by default: the van-writer scales on CPU (%s)', (_name, file) => {
  const manifests = renderChart<Manifest>(helm, file);
  expect(of(manifests, 'ScaledObject')).toEqual([]);
  expect(of(manifests, 'HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef?.name)).toEqual([
    vanWriter(manifests).metadata.name,
  ]);
});

test.each(VALUES_FILES)(
  "on, KEDA scales the van-writer on its group's lag on van-sync, and no HPA is rendered (%s)",
  (_name, file) => {
    const manifests = renderChart<Manifest>(helm, file, [...KEDA, 'vanWriter.keda.maxReplicaCount=6']);
    const deployment = vanWriter(manifests);
    const [scaled, ...others] = of(manifests, 'ScaledObject');
    expect(others).toEqual([]);
    expect(scaled!.apiVersion).toBe('keda.sh/v1alpha1');
    expect(scaled!.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(scaled!.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 6 });
    const [trigger] = scaled!.spec.triggers!;
    const config = of(manifests, 'ConfigMap').find((m) => m.data?.KAFKA_BROKERS)!;
    expect(trigger!.type).toBe('kafka');
    expect(trigger!.metadata).toMatchObject({
      bootstrapServers: config.data!.KAFKA_BROKERS,
      consumerGroup: VAN_WRITER_GROUP,
      topic: Topics.VanSync,
      offsetResetPolicy: 'earliest',
    });
    expect(of(manifests, 'HorizontalPodAutoscaler')).toEqual([]);
    // A count in the Deployment would reset KEDA's on every upgrade, with the CPU autoscaler off too.
    expect(deployment.spec.replicas).toBeUndefined();
    const cpuOff = renderChart<Manifest>(helm, file, [...KEDA, 'vanWriter.autoscaling.enabled=false']);
    expect(vanWriter(cpuOff).spec.replicas).toBeUndefined();
    expect(of(cpuOff, 'ScaledObject')).toHaveLength(1);
  },
);

test('the van-writer group the trigger watches is the one the van-writer joins', () => {
  expect(VAN_WRITER_GROUP).toBe('callsync-van-writer');
  const [scaled] = of(
    renderChart<Manifest>(helm, undefined, [...KEDA, 'vanWriter.env.KAFKA_CONSUMER_GROUP=writers-b']),
    'ScaledObject',
  );
  expect(scaled!.spec.triggers![0]!.metadata.consumerGroup).toBe('writers-b');
});

test('with SASL and TLS, KEDA reads the credentials the van-writer reads', () => {
  const manifests = renderChart<Manifest>(
    helm,
    VALUES_FILES.find(([name]) => name.includes('production'))![1],
    [...KEDA, 'vanWriter.keda.maxReplicaCount=6'],
  );
  const [scaled] = of(manifests, 'ScaledObject');
  const [auth, ...others] = of(manifests, 'TriggerAuthentication');
  expect(others).toEqual([]);
  const trigger = scaled!.spec.triggers![0]!;
  expect(trigger.metadata).toMatchObject({ tls: 'enable', sasl: 'scram_sha512' });
  expect(trigger.authenticationRef).toEqual({ name: auth!.metadata.name });
  const writerRefs = vanWriter(manifests)
    .spec.template!.spec.containers[0]!.env!.map((e) => e.valueFrom?.secretKeyRef)
    .filter((ref) => ref?.key.startsWith('KAFKA_SASL_'));
  expect(
    auth!.spec.secretTargetRef!.map(({ parameter, name, key }) => [parameter, { name, key }]).sort(),
  ).toEqual([
    ['password', writerRefs.find((r) => r!.key === 'KAFKA_SASL_PASSWORD')],
    ['username', writerRefs.find((r) => r!.key === 'KAFKA_SASL_USERNAME')],
  ]);
});

test('more replicas than van-sync has partitions are refused, saying why', () => {
  const render =
    (...set: string[]) =>
    () =>
      renderChart(helm, undefined, [...KEDA, ...set]);
  expect(render('vanWriter.keda.maxReplicaCount=7')).toThrow(
    /vanWriter\.keda\.maxReplicaCount \(7\) exceeds kafka\.topics\.partitions \(6\), the partitions of callsync\.van-sync: the extra van-writers would get no partition/,
  );
  expect(render('vanWriter.keda.maxReplicaCount=12', 'kafka.topics.partitions=12')).not.toThrow();
  expect(render('vanWriter.keda.minReplicaCount=4', 'vanWriter.keda.maxReplicaCount=3')).toThrow(
    /vanWriter\.keda\.minReplicaCount \(4\) exceeds vanWriter\.keda\.maxReplicaCount \(3\)/,
  );
  // Never none: the van-writer also runs the bulk-import worker, which lag on van-sync never wakes.
  expect(render('vanWriter.keda.minReplicaCount=0')).toThrow(/minReplicaCount/);
});
