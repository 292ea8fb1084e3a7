// The Grafana dashboard is well-formed for the Grafana sidecar and for provisioning: JSON, a uid,
// one `${datasource}` Prometheus variable that every panel and query uses (so it works on any
// Grafana whatever its data source is called), unique panel ids, a query in every target.
// Whether each query returns data is proven against a real Prometheus by test/e2e/monitoring.test.ts.
//   node monitoring/check-dashboard.mjs <dashboard.json>
import { readFileSync } from 'node:fs';

const file = process.argv[2];
const dashboard = JSON.parse(readFileSync(file, 'utf8'));
const problems = [];
const variables = dashboard.templating?.list ?? [];
const datasource = variables.find((v) => v.name === 'datasource');
if (!dashboard.uid || !dashboard.title) problems.push('the dashboard needs a uid and a title');
if (datasource?.type !== 'datasource' || datasource.query !== 'prometheus')
  problems.push('a "datasource" variable of type datasource, query prometheus, is needed');
const usesVariable = (ds) => ds?.type === 'prometheus' && ds.uid === '${datasource}';
for (const variable of variables.filter((v) => v.type === 'query')) {
  if (!usesVariable(variable.datasource))
    problems.push(`variable ${variable.name}: datasource must be \${datasource}`);
}
const ids = new Set();
for (const panel of dashboard.panels ?? []) {
  if (ids.has(panel.id)) problems.push(`panel id ${panel.id} is used twice`);
  ids.add(panel.id);
  if (!panel.gridPos) problems.push(`panel "${panel.title}": no gridPos`);
  if (panel.type === 'row') continue;
  if (!usesVariable(panel.datasource))
    problems.push(`panel "${panel.title}": datasource must be \${datasource}`);
  if (!panel.targets?.length) problems.push(`panel "${panel.title}": no query`);
  for (const target of panel.targets ?? []) {
    if (!target.expr?.trim()) problems.push(`panel "${panel.title}" ${target.refId}: empty expr`);
    if (!usesVariable(target.datasource))
      problems.push(`panel "${panel.title}" ${target.refId}: datasource must be \${datasource}`);
  }
}
if (problems.length > 0) {
  console.error(`${file}:\n${problems.join('\n')}`);
  process.exit(1);
}
process.stdout.write(`${file}: ${ids.size} panels, all on the \${datasource} variable\n`);
