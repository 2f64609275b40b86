// A module-resolution hook for `tributary run app.ts` (registered with node:module's register()):
// an application file's `import ... from 'tributary'` resolves to the very sources this CLI runs
// from, not to a built copy or another install. One module instance means the runner's
// `instanceof StreamsApp` holds and the app shares the runner's open logs. Plain JS: hooks load
// in the loader thread before any TypeScript hook applies to them.
let target;

export function initialize(data) {
  target = data.target;
}

export async function resolve(specifier, context, next) {
  if (specifier === 'tributary') return next(target, context);
  const resolved = await next(specifier, context);
  // The application file itself is always an ES module, even in a folder whose package.json does
  // not say "type": "module" (where Node would load a .ts file as CommonJS).
  if (context.parentURL === undefined || new URL(resolved.url).searchParams.has('tributary-app')) {
    return { ...resolved, format: 'module' };
  }
  return resolved;
}
