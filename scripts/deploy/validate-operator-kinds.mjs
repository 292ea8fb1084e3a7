// Validates the operators' resources among the given manifest files against the operators' own
// types: the Prometheus Operator's (ServiceMonitor, PrometheusRule) and KEDA's (ScaledObject,
// TriggerAuthentication). These check every field's type and the required fields, not unknown
// fields (no offline schema of these CRDs does); the Kubernetes kinds are kubernetes-validate's
// job. Exits non-zero naming each invalid resource.
//   node scripts/deploy/validate-operator-kinds.mjs <file.yaml>...
import fs from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

const models = {
  'monitoring.coreos.com/v1': { ServiceMonitor, PrometheusRule },
  'keda.sh/v1alpha1': { ScaledObject, TriggerAuthentication },
};
const groups = Object.keys(models).map((apiVersion) => `${apiVersion.split('/')[0]}/`);
let checked = 0;
const failures = [];
for (const file of process.argv.slice(2)) {
  for (const document of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    const resource = document.toJS();
    if (!groups.some((group) => resource?.apiVersion?.startsWith(group))) continue;
    const where = `${file}: ${resource.kind}/${resource.metadata?.name}`;
    const Model = models[resource.apiVersion]?.[resource.kind];
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
console.log(`${checked} Prometheus Operator and KEDA resources valid`);
