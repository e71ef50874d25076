/**
 * Importing a service's handler module the way Node itself would, from any
 * folder: `.mjs`, `.cjs` and `.js` (ESM or CommonJS as Node decides for that
 * file, from the nearest package.json) with no loader at all; `.ts`, `.mts`
 * and `.cts` through tsx, an optional peer dependency registered only when
 * such a file is loaded and Node cannot load it by itself. A module that fails
 * to load reports its own error (a syntax error with file:line:column, the
 * missing import's name), not a loader's wrapper.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ChanError } from '../errors.ts';

/** File extensions tried, in order, for a service module `Mod`: compiled JavaScript first, as it needs no loader. */
export const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const;

const TYPESCRIPT = /\.[cm]?ts$/;

/** Longest piece of a module's own error text carried into a badConf message. */
const MAX_ERROR_CHARS = 2_000;

let tsxRegistered: Promise<void> | undefined;

/** Set on globalThis by whoever registers tsx in a thread (also worker-boot.mjs), so it is registered once. */
export const TSX_MARK = Symbol.for('lib-chan.tsxRegistered');

/** Whether a handler file needs a TypeScript loader. */
export const isTypeScript = (file: string): boolean => TYPESCRIPT.test(file);

/** tsx is already active in this thread: `node --import tsx`, the tsx CLI, NODE_OPTIONS, or our own registration. */
function typeScriptLoaderActive(): boolean {
  if ((globalThis as Record<symbol, unknown>)[TSX_MARK] === true) return true;
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => /(^|[/\\=\s])tsx([/\\]|$|\s)/.test(a));
}

/**
 * Register tsx's loader in this thread, once. It is looked for beside
 * lib-chan first, then from the handler's own folder (a project that has
 * tsx but installed lib-chan elsewhere).
 */
export function registerTypeScript(fromFile: string): Promise<void> {
  tsxRegistered ??= (async () => {
    if (typeScriptLoaderActive()) return;
    let api: { register: () => unknown } | undefined;
    try {
      api = (await import('tsx/esm/api')) as { register: () => unknown };
    } catch {
      try {
        const resolved = createRequire(fromFile).resolve('tsx/esm/api');
        api = (await import(pathToFileURL(resolved).href)) as { register: () => unknown };
      } catch {
        api = undefined;
      }
    }
    if (!api) {
      throw new ChanError(
        'badConf',
        `${fromFile} is TypeScript, and tsx (the loader that runs it) is not installed: install it beside lib-chan (npm install tsx) or compile the handler to .js/.mjs`,
        {
          details: { path: fromFile },
        },
      );
    }
    api.register();
    (globalThis as Record<symbol, unknown>)[TSX_MARK] = true;
  })();
  tsxRegistered.catch(() => (tsxRegistered = undefined));
  return tsxRegistered;
}

/**
 * Import `file` and return its exports (for CommonJS, the named exports Node
 * detects plus `default`). Throws the module's own error, unchanged. A
 * TypeScript file gets its loader first: Node remembers a failed import of a
 * URL, so trying without it and retrying would fail again.
 */
export async function importHandlerModule(file: string): Promise<Record<string, unknown>> {
  if (isTypeScript(file)) await registerTypeScript(file);
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** The exported function `fn` of a module namespace, also under a CommonJS module's `default`. */
export function exportedFunction(mod: Record<string, unknown>, fn: string): ((...args: never[]) => unknown) | undefined {
  const own = Object.hasOwn(mod, fn) ? mod[fn] : undefined;
  if (typeof own === 'function') return own as (...args: never[]) => unknown;
  const cjs = mod.default;
  if (cjs !== null && (typeof cjs === 'object' || typeof cjs === 'function') && Object.hasOwn(cjs, fn)) {
    const f = (cjs as Record<string, unknown>)[fn];
    if (typeof f === 'function') return f as (...args: never[]) => unknown;
  }
  return undefined;
}

/** The names of the functions a module exports (for "it exports a, b" in an error). */
export function exportedFunctionNames(mod: Record<string, unknown>): string[] {
  const names = new Set(Object.keys(mod).filter((k) => k !== 'default' && typeof mod[k] === 'function'));
  const cjs = mod.default;
  if (cjs !== null && typeof cjs === 'object') for (const k of Object.keys(cjs)) if (typeof (cjs as Record<string, unknown>)[k] === 'function') names.add(k);
  return [...names];
}

/**
 * What went wrong loading `file`, in one line with its location: esbuild's
 * (tsx's) errors carry `errors[].location`; for Node's own SyntaxError, whose
 * import() error has no location, `node --check` names the line (only when
 * the syntax error is in `file` itself; one short child process on a path
 * that stops the start-up anyway); the rest say it in their message.
 */
export async function describeLoadError(e: unknown, file: string): Promise<string> {
  const err = e as { message?: unknown; errors?: { text?: string; location?: { file?: string; line?: number; column?: number } | null }[] };
  const first = err?.errors?.[0];
  if (first?.text !== undefined) {
    const loc = first.location;
    const where = loc?.file ? `${loc.file}:${loc.line}:${(loc.column ?? 0) + 1}: ` : '';
    return clip(`${where}${first.text}`);
  }
  const message = clip((typeof err?.message === 'string' ? err.message : String(e)).replace(/\s*\n\s*/g, ' '));
  if (e instanceof SyntaxError && !isTypeScript(file)) {
    const where = await syntaxErrorLine(file);
    if (where !== undefined) return `${where}: SyntaxError: ${message}`;
  }
  return message;
}

function syntaxErrorLine(file: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--check', file], { timeout: 5_000, maxBuffer: 64 * 1024 }, (_error, _stdout, stderr) => {
      const head = String(stderr).split('\n', 1)[0];
      const m = /^((?:file:\/\/)?\/.*):(\d+)$/.exec(head);
      resolve(m ? `${m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1]}:${m[2]}` : undefined);
    });
  });
}

function clip(s: string): string {
  return s.length > MAX_ERROR_CHARS ? `${s.slice(0, MAX_ERROR_CHARS)}...` : s;
}
