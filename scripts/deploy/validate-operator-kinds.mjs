// Validates the Prometheus Operator resources (ServiceMonitor, PrometheusRule) among the given
// manifest files against the operator's own schemas; the Kubernetes kinds are
// kubernetes-validate's job. Exits non-zero naming each invalid resource.
//   node scripts/deploy/validate-operator-kinds.mjs <file.yaml>...
import fs from 'node:fs';
import { parseAllDocuments } from 'yaml';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

const models = { ServiceMonitor, PrometheusRule };
let checked = 0;
const failures = [];
for (const file of process.argv.slice(2)) {
  for (const document of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    const resource = document.toJS();
    if (!resource?.apiVersion?.startsWith('monitoring.coreos.com/')) continue;
    const where = `${file}: ${resource.kind}/${resource.metadata?.name}`;
    const Model = resource.apiVersion === 'monitoring.coreos.com/v1' ? models[resource.kind] : undefined;
    if (!Model) {
      failures.push(`${where}: no schema for ${resource.apiVersion} ${resource.kind}`);
      continue;
    }
    try {
      new Model(resource).validate();
      checked += 1;
    } catch (error) {
      failures.push(`${where}: ${error.message}`);
    }
  }
}
for (const failure of failures) console.error(`INVALID ${failure}`);
if (failures.length > 0) process.exit(1);
console.log(`${checked} Prometheus Operator resources valid`);
