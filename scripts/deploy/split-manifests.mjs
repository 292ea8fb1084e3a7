// Splits `helm template` output into k8s/: one file per component (its Deployment or CronJobs,
// Service, disruption budget, ...), the shared pieces, the network policies, and the Prometheus
// Operator kinds apart (a cluster without the operator leaves that one file out), plus the
// kustomization.yaml that lists them.
//   node scripts/deploy/split-manifests.mjs <rendered.yaml> <output-folder>
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const [renderedPath, outDir] = process.argv.slice(2);
if (!renderedPath || !outDir) {
  console.error('usage: split-manifests.mjs <rendered.yaml> <output-folder>');
  process.exit(64);
}

const HEADER =
  '# Rendered from helm/call-sync (default values) by scripts/deploy/render-k8s.sh. Do not edit.\n';
const chunks = fs
  .readFileSync(renderedPath, 'utf8')
  .split(/^---\s*$/m)
  .map((chunk) => chunk.trim())
  .filter((chunk) => chunk.replace(/^#.*$/gm, '').trim() !== '');

function fileFor(resource) {
  const component = resource.metadata?.labels?.['app.kubernetes.io/component'];
  if (['ServiceMonitor', 'PrometheusRule'].includes(resource.kind)) return 'monitoring.yaml';
  if (resource.kind === 'ConfigMap' && resource.metadata.name.endsWith('-dashboard'))
    return 'monitoring.yaml';
  if (resource.kind === 'NetworkPolicy') return 'network-policies.yaml';
  if (component) return `${component.replace(/^extractor-.*/, 'extractor')}.yaml`;
  return 'common.yaml';
}

const files = new Map();
for (const chunk of chunks) {
  const [document, ...extra] = parseAllDocuments(chunk);
  if (!document || extra.length > 0 || document.errors.length > 0) {
    throw new Error(`cannot read one rendered manifest:\n${chunk.slice(0, 400)}`);
  }
  const resource = document.toJS();
  const file = fileFor(resource);
  if (!files.has(file)) files.set(file, []);
  files.get(file).push(chunk);
}

fs.mkdirSync(outDir, { recursive: true });
const names = [...files.keys()].sort();
for (const name of names) {
  fs.writeFileSync(
    path.join(outDir, name),
    HEADER +
      files
        .get(name)
        .map((c) => `---\n${c}\n`)
        .join(''),
  );
}
fs.writeFileSync(
  path.join(outDir, 'kustomization.yaml'),
  `${HEADER}# kubectl apply -k k8s/ (set the namespace here, or with kubectl -n). Without the Prometheus
# Operator, drop monitoring.yaml from the list. migrate.yaml is the chart's migration hook, a Job
# running \`extractor migrate\` (topics and indexes), which the services do not do themselves: on
# a first install apply it alone and wait for it (kubectl apply -f k8s/migrate.yaml, then kubectl
# wait --for=condition=complete job/call-sync-migrate), and before applying another version delete
# the Job, whose pod template cannot change.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
${names.map((n) => `  - ${n}`).join('\n')}
`,
);
console.log(`wrote ${names.length} manifest files and kustomization.yaml to ${outDir}`);
