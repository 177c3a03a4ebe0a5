/**
 * Compiles the type corpus (the other .ts files of this folder, written against cassandra-driver 4.10's own
 * declarations) twice with the same options: once against cassandra-driver, once with the specifier
 * 'cassandra-driver' mapped by `paths` to @shardcql/client. The corpus imports 'cassandra-driver' literally, so it
 * is the code a user has, unchanged. shardcql is compiled as a user gets it: the built `dist/*.d.ts` its
 * package.json `types` names (`module commonjs` resolves with node10, which ignores the `source` condition).
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const CORPUS_DIR = dirname(fileURLToPath(import.meta.url));
const CLIENT_DIR = resolve(CORPUS_DIR, '../..');
const ROOT = resolve(CLIENT_DIR, '../..');

export type Target = 'cassandra-driver' | 'shardcql';

/** The probe's options (strict, full lib check, CommonJS), with and without esModuleInterop, and Node16. */
export const OPTION_SETS: Readonly<Record<string, ts.CompilerOptions>> = {
  'commonjs': {
    strict: true,
    skipLibCheck: false,
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2020,
    lib: ['lib.es2020.d.ts'],
    types: ['node'],
    noEmit: true,
  },
  'commonjs+esModuleInterop': {
    strict: true,
    skipLibCheck: false,
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    esModuleInterop: true,
    noEmit: true,
  },
  // Node16 resolution (package.json `exports`, the `types` condition: dist/index.d.ts) for CommonJS files.
  'node16': {
    strict: true,
    skipLibCheck: false,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    noEmit: true,
  },
};

/** The corpus; `.mts` files (ES modules) only where the option set resolves as Node16 does. */
export function corpusFiles(optionSet?: string): string[] {
  const esm = optionSet !== undefined && OPTION_SETS[optionSet]!.module === ts.ModuleKind.Node16;
  return readdirSync(CORPUS_DIR)
    .filter((f) => (f.endsWith('.ts') || (f.endsWith('.mts') && (esm || optionSet === undefined))) && f !== 'compile.ts')
    .sort()
    .map((f) => join(CORPUS_DIR, f));
}

export interface Diagnostic {
  /** `file:line:col TSxxxx`: the same place and code in both runs is the same diagnostic. */
  key: string;
  text: string;
}

/**
 * Parsed files (@types/node, lib files, the corpus) shared by the runs of one option set, whose options differ
 * in `paths` only: each file is parsed and bound once per set.
 */
const parsedBySet = new Map<string, Map<string, ts.SourceFile>>();

function createProgram(rootNames: string[], options: ts.CompilerOptions, optionSet: string): ts.Program {
  let parsed = parsedBySet.get(optionSet);
  if (parsed === undefined) parsedBySet.set(optionSet, (parsed = new Map()));
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const version = typeof languageVersion === 'object' ? languageVersion.languageVersion : languageVersion;
    const impliedFormat = typeof languageVersion === 'object' ? languageVersion.impliedNodeFormat : undefined;
    const key = `${version}:${impliedFormat}:${fileName}`;
    let sf = parsed.get(key);
    if (sf === undefined) {
      sf = read(fileName, languageVersion, onError, shouldCreate);
      if (sf !== undefined) parsed.set(key, sf);
    }
    return sf;
  };
  return ts.createProgram({ rootNames, options, host });
}

export function compile(target: Target, optionSet: string): Diagnostic[] {
  const base = OPTION_SETS[optionSet]!;
  const options: ts.CompilerOptions = {
    ...base,
    baseUrl: CORPUS_DIR,
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    ...(target === 'shardcql' ? { paths: { 'cassandra-driver': [CLIENT_DIR] } } : {}),
  };
  return diagnosticsOf(createProgram(corpusFiles(optionSet), options, optionSet));
}

function diagnosticsOf(program: ts.Program): Diagnostic[] {
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    let where = '(global)';
    if (d.file && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      where = `${relative(ROOT, d.file.fileName)}:${line + 1}:${character + 1}`;
    }
    const key = `${where} TS${d.code}`;
    return { key, text: `${key} ${msg}` };
  });
}

/** The opt-in exact types: test/types-strict/*.ts against @shardcql/client only (its `@ts-expect-error`s must hold). */
export function compileStrict(optionSet: string): Diagnostic[] {
  const dir = join(CLIENT_DIR, 'test', 'types-strict');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
  const options: ts.CompilerOptions = { ...OPTION_SETS[optionSet]!, typeRoots: [join(ROOT, 'node_modules', '@types')] };
  return diagnosticsOf(createProgram(files, options, optionSet));
}

/** The built declarations are older than a source file: the comparison would test stale types. */
export function staleBuild(): string | null {
  const info = join(CLIENT_DIR, 'dist', '.tsbuildinfo');
  let built: number;
  try {
    built = statSync(info).mtimeMs;
  } catch {
    return `${relative(ROOT, info)} is missing: run \`npx tsc -b\` first`;
  }
  const walk = (dir: string): string | null => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        const r = walk(p);
        if (r !== null) return r;
      } else if (e.name.endsWith('.ts') && statSync(p).mtimeMs > built) return p;
    }
    return null;
  };
  for (const pkg of ['client', 'core']) {
    const newer = walk(join(ROOT, 'packages', pkg, 'src'));
    if (newer !== null) return `${relative(ROOT, newer)} is newer than the build: run \`npx tsc -b\` first`;
  }
  return null;
}

/** Diagnostics of the shardcql run that the cassandra-driver run does not have. */
export function differences(optionSet: string): { theirs: Diagnostic[]; onlyOurs: Diagnostic[] } {
  const theirs = compile('cassandra-driver', optionSet);
  const ours = compile('shardcql', optionSet);
  const known = new Set(theirs.map((d) => d.key));
  return { theirs, onlyOurs: ours.filter((d) => !known.has(d.key)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const set of Object.keys(OPTION_SETS)) {
    const { theirs, onlyOurs } = differences(set);
    console.log(`== ${set}: cassandra-driver ${theirs.length} errors, only with shardcql ${onlyOurs.length}`);
    for (const d of theirs) console.log(`  theirs: ${d.text}`);
    for (const d of onlyOurs) console.log(`  ${d.text}`);
    for (const d of compileStrict(set)) console.log(`  strict: ${d.text}`);
  }
}
