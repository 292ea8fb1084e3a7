// Config replicas accept each other's sign-in sessions only when they sign them with one
// SESSION_SECRET (without it each signs with a random secret of its own). Rendered with every
// values file the repository ships and with one replica or several: with several, no config pod
// starts without the Secret's SESSION_SECRET, and a Secret the chart itself makes without it
// fails the render, saying what to set.

import { helmBinary, renderChart, VALUES_FILES } from './chart';

interface Manifest {
  kind: string;
  spec: {
    replicas?: number;
    template?: {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: {
          env?: {
            name: string;
            valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
          }[];
        }[];
      };
    };
  };
}

/** The config Deployment's replicas and how its pod reads SESSION_SECRET. */
function configSessionSecret(manifests: Manifest[]) {
  const config = manifests.find(
    (m) =>
      m.kind === 'Deployment' && m.spec.template?.metadata.labels['app.kubernetes.io/component'] === 'config',
  )!;
  const variable = config.spec.template!.spec.containers[0]!.env?.find((e) => e.name === 'SESSION_SECRET');
  return { replicas: config.spec.replicas ?? 1, ref: variable?.valueFrom?.secretKeyRef };
}

const TOKENS = 'secrets.values.API_TOKENS=ops:operator:0123456789abcdef';
let helm: string;
beforeAll(() => {
  helm = helmBinary();
}, 10 * 60_000);

test.each(VALUES_FILES)(
  'config replicas beyond one cannot start without SESSION_SECRET (%s)',
  (_name, file) => {
    for (const replicas of [undefined, 1, 3]) {
      const { replicas: rendered, ref } = configSessionSecret(
        renderChart<Manifest>(helm, file, replicas === undefined ? [] : [`config.replicas=${replicas}`]),
      );
      if (replicas !== undefined) expect(rendered).toBe(replicas);
      expect(ref).toMatchObject({ key: 'SESSION_SECRET' });
      // An optional key leaves the variable unset when the Secret lacks it, and the pod starts anyway.
      expect({ replicas: rendered, optional: ref?.optional === true }).toEqual({
        replicas: rendered,
        optional: rendered <= 1,
      });
    }
  },
);

test('a Secret the chart makes must hold SESSION_SECRET when config runs more than one replica', () => {
  const render =
    (...set: string[]) =>
    () =>
      renderChart<Manifest>(helm, undefined, ['secrets.create=true', ...set]);
  expect(render(TOKENS, 'config.replicas=2')).toThrow(
    /config\.replicas is 2: every replica must sign sign-in sessions with the same SESSION_SECRET.*add SESSION_SECRET/,
  );
  expect(render(TOKENS, 'config.replicas=1')).not.toThrow();
  expect(
    render(TOKENS, 'config.replicas=2', `secrets.values.SESSION_SECRET=${'s'.repeat(32)}`),
  ).not.toThrow();
  // The api group reads a Secret of its own, which the render cannot see: its pods check instead.
  expect(render(TOKENS, 'config.replicas=2', 'api.existingSecret=call-sync-api')).not.toThrow();
});
