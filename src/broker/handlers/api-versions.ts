import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';

/**
 * ApiVersions: every served API with its version range. An unknown ApiVersions version never
 * reaches here: the connection answers it in the v0 layout with UNSUPPORTED_VERSION (KIP-511).
 */
export const apiVersions = defineHandler({
  apiKey: ApiKeys.ApiVersions,
  handle(ctx) {
    return {
      errorCode: ErrorCodes.NONE,
      apiKeys: ctx.broker.apiVersions().map((r) => ({ apiKey: r.apiKey, minVersion: r.minVersion, maxVersion: r.maxVersion })),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
  },
});
