import { ApiKeys, ErrorCodes, type DescribeAclsResponseResource } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';
import { messageOf } from '../errors.js';
import { AclWireError, aclStoreFor, bindingToWire, filterFromWire } from '../security/acl-wire.js';

/** DescribeAcls: the bindings matching a filter, grouped by resource pattern (DESCRIBE on the cluster needed). */
export const describeAcls = defineHandler({
  apiKey: ApiKeys.DescribeAcls,
  handle(ctx, req) {
    const store = aclStoreFor(ctx, 'DESCRIBE');
    if (!('list' in store)) return { throttleTimeMs: 0, ...store, resources: [] };
    try {
      const byResource = new Map<string, DescribeAclsResponseResource>();
      for (const b of store.list(filterFromWire(req))) {
        const w = bindingToWire(b);
        const key = `${w.resourceType}\0${w.patternType}\0${w.resourceName}`;
        let r = byResource.get(key);
        if (r === undefined) {
          r = { resourceType: w.resourceType, resourceName: w.resourceName, patternType: w.patternType, acls: [] };
          byResource.set(key, r);
        }
        r.acls.push({ principal: w.principal, host: w.host, operation: w.operation, permissionType: w.permissionType });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCodes.NONE, errorMessage: null, resources: [...byResource.values()] };
    } catch (e) {
      const errorCode = e instanceof AclWireError ? e.errorCode : ErrorCodes.INVALID_REQUEST;
      return { throttleTimeMs: 0, errorCode, errorMessage: messageOf(e), resources: [] };
    }
  },
});
