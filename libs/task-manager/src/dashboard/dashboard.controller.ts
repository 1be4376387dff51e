import {
  All,
  Controller,
  Get,
  NotFoundException,
  Param,
  Req,
  Res,
  UseFilters,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiMethodNotAllowedException } from '../api/api-routes.js';
import { ApiExcludeController } from '../api/swagger.js';
import type {
  ResolvedTaskManagerApiOptions,
  ResolvedTaskManagerDashboardOptions,
} from '../api/task-manager-api.options.js';
import { TaskManagerExceptionFilter } from '../api/task-manager-exception.filter.js';
import { loadDashboardAssets, type DashboardAsset } from './dashboard-assets.js';

/**
 * Headers of every dashboard response. The policy allows only the dashboard's own files and same-origin
 * API calls: no inline script or style, no third party, no framing, no form posts.
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // Revalidated on each load (the ETag makes that a 304): an upgraded library is picked up at once.
  'Cache-Control': 'no-cache',
};

interface DashboardRequest {
  method?: string;
  originalUrl?: string;
  url?: string;
}

/**
 * Creates the dashboard's controller: `GET <api.path>/<dashboard.path>` serves the page and
 * `GET <api.path>/<dashboard.path>/<file>` its files, behind the API's `guards` (the page's buttons call
 * the API's mutating endpoints, which also need `adminGuards`). Registered before the API's controller, so
 * that the API's catch-all route does not shadow it.
 * @throws TaskManagerConfigurationError when the assets cannot be read
 */
export function createDashboardController(
  api: ResolvedTaskManagerApiOptions,
  dashboard: ResolvedTaskManagerDashboardOptions,
): Type<unknown> {
  const assets = loadDashboardAssets(dashboard.path);
  const pagePath = dashboard.path;
  const lastSegment = pagePath.split('/').pop() ?? pagePath;

  @Controller(api.path)
  @ApiExcludeController()
  @UseGuards(...api.guards)
  @UseFilters(TaskManagerExceptionFilter)
  class TaskManagerDashboardController {
    constructor(private readonly adapterHost: HttpAdapterHost) {}

    @Get(pagePath)
    page(@Req() request: DashboardRequest, @Res() response: unknown): void {
      const pathname = (request.originalUrl ?? request.url ?? '').split('?')[0];
      // The page's relative URLs resolve against its path without a trailing slash.
      if (pathname.endsWith('/')) return this.adapterHost.httpAdapter.redirect(response, 302, `../${lastSegment}`);
      this.send(response, assets.page);
    }

    @Get(`${pagePath}/:file`)
    file(@Param('file') file: string, @Res() response: unknown): void {
      const asset = assets.files.get(file);
      if (!asset) throw new NotFoundException('Not Found');
      this.send(response, asset);
    }

    @All([pagePath, `${pagePath}/{*rest}`])
    unmatched(@Req() request: DashboardRequest): never {
      const method = (request.method ?? 'GET').toUpperCase();
      if (method === 'GET' || method === 'HEAD') throw new NotFoundException('Not Found');
      throw new ApiMethodNotAllowedException(['GET']);
    }

    private send(response: unknown, asset: DashboardAsset): void {
      const adapter = this.adapterHost.httpAdapter;
      adapter.setHeader(response, 'Content-Type', asset.contentType);
      for (const [name, value] of Object.entries(DASHBOARD_HEADERS)) adapter.setHeader(response, name, value);
      adapter.reply(response, asset.body, 200);
    }
  }
  return TaskManagerDashboardController;
}
