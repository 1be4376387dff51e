/**
 * The dashboard's static assets (`./assets/`, embedded in a generated module by the library build, so that
 * nothing is read from disk and bundled apps work): the page rendered for its path, and its files.
 */
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import { DASHBOARD_ASSETS } from './dashboard-assets.generated.js';

/** One asset: body and `Content-Type`. */
export interface DashboardAsset {
  readonly body: string;
  readonly contentType: string;
}

/** The page and the files it loads, by file name. */
export interface DashboardAssets {
  readonly page: DashboardAsset;
  readonly files: ReadonlyMap<string, DashboardAsset>;
}

/** Files served under the dashboard's path (an allow-list: nothing else of the directory is reachable). */
export const DASHBOARD_FILES: Readonly<Record<string, string>> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'dialogs.js': 'text/javascript; charset=utf-8',
  'history.js': 'text/javascript; charset=utf-8',
  'runs.js': 'text/javascript; charset=utf-8',
  'task-actions.js': 'text/javascript; charset=utf-8',
  'task-form.js': 'text/javascript; charset=utf-8',
  'task-row.js': 'text/javascript; charset=utf-8',
  'task-state.js': 'text/javascript; charset=utf-8',
  'widgets.js': 'text/javascript; charset=utf-8',
  'chart.js': 'text/javascript; charset=utf-8',
  'cron-words.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/**
 * Reads the assets and renders the page for a dashboard served at `path` (relative to the API's mount path,
 * e.g. `'dashboard'` or `'ui/board'`). The page refers to its files and to the API with URLs relative to
 * itself, so it works under any global prefix or reverse-proxy prefix.
 * @throws TaskManagerConfigurationError when an asset is missing (a build that did not embed it)
 */
export function loadDashboardAssets(path: string): DashboardAssets {
  const segments = path.split('/');
  // The page is `<mount>/<path>` (no trailing slash): its URLs resolve against `<mount>/<path minus last>/`.
  const assetsBase = `${segments[segments.length - 1]}/`;
  const apiRoot = segments.length === 1 ? './' : '../'.repeat(segments.length - 1);
  const template = read('index.html');
  const html = template
    .replaceAll('{{assets}}', escapeAttribute(assetsBase))
    .replaceAll('{{apiRoot}}', escapeAttribute(apiRoot));
  const files = new Map<string, DashboardAsset>();
  for (const [name, contentType] of Object.entries(DASHBOARD_FILES)) files.set(name, { body: read(name), contentType });
  return { page: { body: html, contentType: 'text/html; charset=utf-8' }, files };
}

function read(name: string): string {
  const body = DASHBOARD_ASSETS[name];
  if (body === undefined) {
    throw new TaskManagerConfigurationError(
      `The task manager dashboard has no asset ${name}: rebuild the library (npm run build:lib) so that it embeds src/dashboard/assets/.`,
    );
  }
  return body;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
