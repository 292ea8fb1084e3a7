// config's replicas are spread over zones and nodes, so one zone or node going away leaves a
// replica serving the pages and API. By default the spread is a preference (ScheduleAnyway: a
// single-zone or small cluster still schedules them), each constraint counts config's own pods,
// and an operator can make it a rule or turn it off.

import { helmBinary, renderChart, VALUES_FILES } from './chart';

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: string;
  labelSelector?: { matchLabels?: Record<string, string> };
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: {
    selector?: { matchLabels?: Record<string, string> };
    template?: {
      metadata: { labels: Record<string, string> };
      spec: { topologySpreadConstraints?: Constraint[] };
    };
  };
}

const deployment = (manifests: Manifest[], component: string) =>
  manifests.find(
    (m) =>
      m.kind === 'Deployment' &&
      m.spec.template?.metadata.labels['app.kubernetes.io/component'] === component,
  )!;

let helm: string;
beforeAll(() => {
  helm = helmBinary();
}, 10 * 60_000);

test.each(VALUES_FILES)(
  "config's pods prefer other zones and other nodes than each other's (%s)",
  (_name, file) => {
    const config = deployment(renderChart<Manifest>(helm, file), 'config');
    const constraints = config.spec.template!.spec.topologySpreadConstraints ?? [];
    expect(constraints.map((c) => [c.topologyKey, c.whenUnsatisfiable, c.maxSkew])).toEqual([
      ['topology.kubernetes.io/zone', 'ScheduleAnyway', 1],
      ['kubernetes.io/hostname', 'ScheduleAnyway', 1],
    ]);
    for (const constraint of constraints) {
      // The selector names exactly config's pods: its own Deployment's selector.
      expect(constraint.labelSelector).toEqual({ matchLabels: config.spec.selector!.matchLabels });
      expect(config.spec.template!.metadata.labels).toMatchObject(constraint.labelSelector!.matchLabels!);
    }
  },
);

test('the spread can be made a rule, given a selector of its own, or turned off', () => {
  const rule = deployment(
    renderChart<Manifest>(helm, undefined, [
      'config.topologySpreadConstraints[0].maxSkew=1',
      'config.topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname',
      'config.topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule',
      'config.topologySpreadConstraints[0].labelSelector.matchLabels.tier=web',
    ]),
    'config',
  );
  expect(rule.spec.template!.spec.topologySpreadConstraints).toEqual([
    {
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { tier: 'web' } },
    },
  ]);
  const off = deployment(
    renderChart<Manifest>(helm, undefined, [], ['config.topologySpreadConstraints=[]']),
    'config',
  );
  expect(off.spec.template!.spec.topologySpreadConstraints).toBeUndefined();
});

test('the other workloads are not spread by config’s setting', () => {
  const manifests = renderChart<Manifest>(helm);
  for (const component of ['van-writer', 'csv-writer'])
    expect(deployment(manifests, component).spec.template!.spec.topologySpreadConstraints).toBeUndefined();
});
