import { statSync } from 'node:fs';
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AppModule, RunContext } from '../../engine/app-module.js';
import { StreamsApp } from '../../engine/app.js';
import { CliError } from '../errors.js';
import { EXIT_FAILURE, EXIT_USAGE } from '../exit-codes.js';

/** The file given to `tributary run` / `tributary describe` does not exist or is not a file. */
export class AppFileNotFoundError extends CliError {
  constructor(file: string) {
    super('APP_NOT_FOUND', `no application file at ${file}`, EXIT_USAGE);
  }
}

/** Importing the application file threw (a syntax error, a missing import, an exception at top level). */
export class AppLoadError extends CliError {
  constructor(file: string, cause: unknown) {
    // esbuild's "Transform failed with 1 error:" says where on the next line.
    const lines = (cause instanceof Error ? cause.message : String(cause)).split('\n').map((l) => l.trim()).filter(Boolean);
    const why = lines[0]?.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1]}` : (lines[0] ?? 'unknown error');
    super('APP_LOAD_FAILED', `could not load ${file}: ${why}`, EXIT_FAILURE, { cause });
  }
}

/** The module loaded but is not what `tributary run` accepts (see src/engine/app-module.ts). */
export class InvalidAppModuleError extends CliError {
  constructor(file: string, what: string) {
    super('INVALID_APP_MODULE', `${file}: ${what}`, EXIT_FAILURE);
  }
}

const CONTRACT = 'expected `export default function (ctx: RunContext): StreamsApp` and optionally `export async function generate(ctx)`';

let aliasRegistered = false;

/**
 * Makes `import ... from 'tributary'` in application files resolve to the sources this CLI runs
 * from (see tributary-alias-hooks.mjs), so the app and the runner share one StreamsApp class.
 */
function registerTributaryAlias(): void {
  if (aliasRegistered) return;
  aliasRegistered = true;
  register(new URL('./tributary-alias-hooks.mjs', import.meta.url), {
    data: { target: new URL('../../index.ts', import.meta.url).href },
  });
}

export interface LoadedApp {
  readonly path: string;
  readonly module: AppModule;
}

/** Imports an application file (TypeScript runs directly: the CLI runs under tsx) and checks its exports. */
export async function loadAppModule(file: string): Promise<LoadedApp> {
  const path = resolve(file);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) throw new AppFileNotFoundError(file);
  registerTributaryAlias();
  let mod: Record<string, unknown>;
  try {
    mod = (await import(`${pathToFileURL(path).href}?tributary-app`)) as Record<string, unknown>;
  } catch (e) {
    throw new AppLoadError(file, e);
  }
  if (typeof mod.default !== 'function') {
    throw new InvalidAppModuleError(file, `no default export function (${mod.default === undefined ? 'no default export' : `default export is a ${typeof mod.default}`}); ${CONTRACT}`);
  }
  if (mod.generate !== undefined && typeof mod.generate !== 'function') {
    throw new InvalidAppModuleError(file, `export 'generate' is a ${typeof mod.generate}, not a function; ${CONTRACT}`);
  }
  return { path, module: mod as unknown as AppModule };
}

/** Calls the module's default export and checks that it returned a StreamsApp. */
export async function buildApp(loaded: LoadedApp, file: string, ctx: RunContext): Promise<StreamsApp> {
  const app: unknown = await loaded.module.default(ctx);
  if (!(app instanceof StreamsApp)) {
    const got = app === null ? 'null' : typeof app === 'object' ? `an object (${(app as object).constructor?.name ?? 'no class'})` : `a ${typeof app}`;
    throw new InvalidAppModuleError(file, `the default export returned ${got}, not a StreamsApp; ${CONTRACT}`);
  }
  return app;
}
