/**
 * The dashboard: an HTTP server over a running application and/or broker with Prometheus
 * metrics, a JSON API, interactive queries over state stores and a live web page.
 */
export { startDashboard, type Dashboard, type DashboardOptions } from './server.js';
export { DashboardError } from './errors.js';
export { queryState, listQueryableStores, groupStateOwner, type StateOwnerLookup, type StateQuery, type StateQueryResult, type StateEntry } from './state-query.js';
export type { Sample } from './sampler.js';
export type { DashboardSources, BrokerSnapshot } from './sources.js';
