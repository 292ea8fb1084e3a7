// Each component's image can be pinned by digest: rendered with a digest, the component's
// containers pull `<repository>/<component>@sha256:...` and no tag; the others keep their tag, and
// a value that is not a sha256 digest is refused before anything is rendered.

import { helmBinary, renderChart } from './chart';

interface PodSpec {
  containers: { name: string; image: string }[];
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: {
    template?: { spec: PodSpec };
    jobTemplate?: { spec: { template: { spec: PodSpec } } };
  };
}

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

/** The image of every workload's containers, by the image's component name. */
function imagesByComponent(manifests: Manifest[]): Map<string, Set<string>> {
  const images = new Map<string, Set<string>>();
  for (const m of manifests) {
    const spec = m.spec?.template?.spec ?? m.spec?.jobTemplate?.spec.template.spec;
    for (const container of spec?.containers ?? []) {
      const component = /\/([^/@:]+)[@:][^/]*$/.exec(container.image)?.[1] ?? container.image;
      if (!images.has(component)) images.set(component, new Set());
      images.get(component)!.add(container.image);
    }
  }
  return images;
}

let helm: string;
beforeAll(() => {
  helm = helmBinary();
}, 10 * 60_000);

test('a digest replaces the tag of that component only', () => {
  const images = imagesByComponent(
    renderChart<Manifest>(helm, undefined, [
      'image.repository=registry.example.org/call-sync',
      'image.tag=1.2.3',
      `image.digests.van-writer=${DIGEST}`,
      `image.digests.extractor=${DIGEST}`,
    ]),
  );
  expect(Object.fromEntries([...images].map(([name, set]) => [name, [...set]]))).toMatchObject({
    config: ['registry.example.org/call-sync/config:1.2.3'],
    'van-writer': [`registry.example.org/call-sync/van-writer@${DIGEST}`],
    'csv-writer': ['registry.example.org/call-sync/csv-writer:1.2.3'],
    extractor: [`registry.example.org/call-sync/extractor@${DIGEST}`],
  });
});

test('without digests every component is pulled by tag', () => {
  const images = imagesByComponent(renderChart<Manifest>(helm));
  for (const component of ['config', 'van-writer', 'csv-writer', 'extractor'])
    expect([...(images.get(component) ?? [])]).toEqual([`call-sync/${component}:0.1.0`]);
});

test('a digest that is not sha256:<64 hex digits>, or of no component, is refused', () => {
  expect(() => renderChart(helm, undefined, ['image.digests.config=sha256:abc'])).toThrow(
    /image\/digests\/config.*does not match pattern/,
  );
  expect(() => renderChart(helm, undefined, [`image.digests.worker=${DIGEST}`])).toThrow(
    /invalid propertyName 'worker'/,
  );
});
