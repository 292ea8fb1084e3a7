// Every value of the chart is documented: each leaf key of values.yaml has a "# --" comment right
// above it or above one of its parent keys (the helm-docs convention). Exits non-zero naming the
// undocumented keys.
//   node scripts/deploy/check-values-documented.mjs [values.yaml]
import fs from 'node:fs';

const file = process.argv[2] ?? 'helm/call-sync/values.yaml';
const lines = fs.readFileSync(file, 'utf8').split('\n');
const content = (line) => line.trim() !== '' && !line.trim().startsWith('#');
const indentOf = (line) => line.length - line.trimStart().length;

const stack = []; // { indent, key, documented }
const undocumented = [];
lines.forEach((line, index) => {
  if (!content(line) || line.trimStart().startsWith('- ')) return;
  const match = /^(\s*)([^\s:#][^:#]*):(\s+\S.*)?\s*$/.exec(line);
  if (!match) return;
  const indent = indentOf(line);
  while (stack.length > 0 && stack.at(-1).indent >= indent) stack.pop();
  let above = index - 1;
  let documentedHere = false;
  while (above >= 0 && lines[above].trim().startsWith('#')) {
    if (lines[above].trim().startsWith('# --')) documentedHere = true;
    above -= 1;
  }
  const documented = documentedHere || stack.some((entry) => entry.documented);
  const next = lines.slice(index + 1).find(content);
  const leaf =
    match[3] !== undefined ||
    next === undefined ||
    indentOf(next) <= indent ||
    next.trimStart().startsWith('- ');
  const key = [...stack.map((entry) => entry.key), match[2]].join('.');
  if (leaf && !documented) undocumented.push(`${file}:${index + 1} ${key}`);
  stack.push({ indent, key: match[2], documented });
});
for (const entry of undocumented) console.error(`UNDOCUMENTED value ${entry}`);
if (undocumented.length > 0) process.exit(1);
console.log(`every value of ${file} is documented`);
