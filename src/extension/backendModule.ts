// The AWS SDK and the OpenSearch client are most of the extension's code, and loading them
// is most of its start-up. They live in a second bundle, dist/backend.js (esbuild.js), which
// this loads when the first request is made: activate() registers the views and commands
// and shows the last known state without them.
import type * as ApprovalsBackendModule from '../adapters/approvalsBackend';

export type BackendModule = typeof ApprovalsBackendModule;

let loading: Promise<BackendModule> | undefined;

/** The adapters' module, loaded once (esbuild.js maps this import to ./backend.js). */
export function loadBackendModule(): Promise<BackendModule> {
  loading ??= import('../adapters/approvalsBackend.js');
  return loading;
}
