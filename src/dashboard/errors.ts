/** Errors of the dashboard and its HTTP API; `code` is stable for scripts and tests. */
export class DashboardError extends Error {
  override readonly name = 'DashboardError';
  constructor(
    readonly code: 'DASHBOARD_TOKEN_REQUIRED' | 'UNKNOWN_STORE' | 'BAD_QUERY' | 'NOT_RUNNING' | 'OWNER_UNREACHABLE' | 'NOT_OWNER',
    message: string,
    /** The HTTP status the API answers with. */
    readonly status: number = 400,
  ) {
    super(message);
  }
}
