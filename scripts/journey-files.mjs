// Counts the source files a reader opens to follow one call from import to report. An import
// closure says little here: every package has a barrel src/index.ts that re-exports all of it, so
// importing one name from @call-sync/core reaches all of core. This follows names instead: each
// name a reached file imports (types too, a reader opens them) is traced through re-exports to the
// file that declares it, and only declaring files count and are read on.
//   node scripts/journey-files.mjs [--root DIR] [--list] [--why] [entry.ts ...]
// --why lists each file with the file that first led to it.
import path from 'node:path';
import ts from 'typescript';

const defaultEntries = [
  'services/config/src/http/calls-import.ts',
  'services/extractor/src/extract-sequence.ts',
  'services/van-writer/src/post-canvass-responses.ts',
  'services/config/src/reports/run-event-reports.ts',
];
// Only our own source: node_modules, tests and dist are not part of the journey.
const counted = /^(packages|services)\/[^/]+\/src\//;

function parseArgs(argv) {
  const options = { root: process.cwd(), list: false, why: false, entries: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root') options.root = argv[++i];
    else if (argv[i] === '--list') options.list = true;
    else if (argv[i] === '--why') options.why = true;
    else options.entries.push(argv[i]);
  }
  if (options.entries.length === 0) options.entries = defaultEntries;
  options.root = path.resolve(options.root);
  return options;
}

function readJson(file) {
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return config;
}

/**
 * The repository's compiler settings, with each workspace package mapped to its src/index.ts:
 * through node_modules a package resolves to its built dist/*.d.ts (package.json `types`), which
 * is neither what a reader opens nor present before a build.
 */
function compilerOptions(root) {
  const { options } = ts.parseJsonConfigFileContent(
    readJson(path.join(root, 'tsconfig.base.json')),
    ts.sys,
    root,
  );
  const paths = {};
  for (const dir of readJson(path.join(root, 'package.json')).workspaces ?? []) {
    const manifest = path.join(root, dir, 'package.json');
    if (ts.sys.fileExists(manifest)) paths[readJson(manifest).name] = [`${dir}/src/index.ts`];
  }
  return { ...options, baseUrl: root, paths, composite: false, incremental: false, noEmit: true };
}

/** The files that declare what `name` (an imported or re-exported name) finally stands for. */
function declaringFiles(checker, name) {
  let symbol = checker.getSymbolAtLocation(name);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  return (symbol?.declarations ?? []).map((declaration) => declaration.getSourceFile());
}

/** The files one import or export-from statement sends a reader to. */
function followed(checker, statement) {
  const isImport = ts.isImportDeclaration(statement);
  if (!isImport && !(ts.isExportDeclaration(statement) && statement.moduleSpecifier)) return [];
  const clause = isImport ? statement.importClause : statement;
  const bindings = isImport ? clause?.namedBindings : clause.exportClause;
  const names = [];
  if (isImport && clause?.name) names.push(clause.name);
  if (bindings && (ts.isNamedImports(bindings) || ts.isNamedExports(bindings)))
    names.push(...bindings.elements.map((element) => element.name));
  else if (bindings) names.push(bindings.name);
  // A side-effect import or `export *` names nothing: the reader opens the module itself.
  if (names.length === 0) return declaringFiles(checker, statement.moduleSpecifier);
  return names.flatMap((name) => declaringFiles(checker, name));
}

function journey(root, entries) {
  const program = ts.createProgram(
    entries.map((entry) => path.resolve(root, entry)),
    compilerOptions(root),
  );
  const checker = program.getTypeChecker();
  const relative = (file) => path.relative(root, file.fileName).split(path.sep).join('/');
  // Each reached file, with the file that first led to it (none for an entry).
  const reached = new Map();
  const visit = (file, from) => {
    if (!file || reached.has(relative(file)) || !counted.test(relative(file))) return;
    reached.set(relative(file), from);
    for (const statement of file.statements)
      for (const next of followed(checker, statement)) visit(next, relative(file));
  };
  for (const entry of entries) {
    const file = program.getSourceFile(path.resolve(root, entry));
    if (!file) throw new Error(`${entry}: not found under ${root}`);
    visit(file, undefined);
  }
  return new Map([...reached].sort(([a], [b]) => a.localeCompare(b)));
}

const { root, list, why, entries } = parseArgs(process.argv.slice(2));
const reached = journey(root, entries);
const files = [...reached.keys()];
const byPackage = new Map();
for (const file of files) {
  const pkg = file.split('/').slice(0, 2).join('/');
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + 1);
}
console.log(`${files.length} files on the journey from ${entries.length} entries`);
for (const [pkg, count] of [...byPackage].sort()) console.log(`  ${pkg.padEnd(24)} ${count}`);
if (why) for (const [file, from] of reached) console.log(`${file}  <- ${from ?? '(entry)'}`);
else if (list) console.log(files.join('\n'));
