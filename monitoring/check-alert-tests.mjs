// Every alert of the rule file must have a promtool test in which it fires and one in which it is
// checked and stays quiet; promtool itself only runs the tests that exist.
//   node monitoring/check-alert-tests.mjs <rules.yaml> <tests.yaml>
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const [rulesPath, testsPath] = process.argv.slice(2);
const rules = parse(readFileSync(rulesPath, 'utf8'));
const tests = parse(readFileSync(testsPath, 'utf8'));
const alerts = rules.groups.flatMap((group) =>
  group.rules.filter((rule) => rule.alert).map((rule) => rule.alert),
);
const checks = tests.tests.flatMap((test) => test.alert_rule_test ?? []);
const problems = [];
for (const alert of alerts) {
  const ofAlert = checks.filter((check) => check.alertname === alert);
  if (!ofAlert.some((check) => (check.exp_alerts ?? []).length > 0))
    problems.push(`${alert}: no test where it fires`);
  if (!ofAlert.some((check) => (check.exp_alerts ?? []).length === 0))
    problems.push(`${alert}: no test where it stays quiet`);
}
for (const check of checks) {
  if (!alerts.includes(check.alertname))
    problems.push(`a test checks ${check.alertname}, which is not an alert of ${rulesPath}`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
process.stdout.write(`${alerts.length} alerts, each with a firing and a quiet test\n`);
