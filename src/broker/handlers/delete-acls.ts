import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';
import { messageOf } from '../errors.js';
import { AclWireError, aclStoreFor, bindingToWire, filterFromWire } from '../security/acl-wire.js';
import type { AclFilter } from '../security/acl.js';

/** DeleteAcls: removes the bindings each filter matches and returns them (ALTER on the cluster needed). */
export const deleteAcls = defineHandler({
  apiKey: ApiKeys.DeleteAcls,
  handle(ctx, req) {
    const store = aclStoreFor(ctx, 'ALTER');
    if (!('remove' in store)) return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ ...store, matchingAcls: [] })) };
    const filters: (AclFilter | { errorCode: number; errorMessage: string })[] = req.filters.map((f) => {
      try {
        return filterFromWire(f);
      } catch (e) {
        return { errorCode: e instanceof AclWireError ? e.errorCode : ErrorCodes.INVALID_REQUEST, errorMessage: messageOf(e) };
      }
    });
    const valid = filters.filter((f): f is AclFilter => !('errorCode' in f));
    const removed = store.remove(valid);
    let next = 0;
    const filterResults = filters.map((f) => {
      if ('errorCode' in f) return { ...f, matchingAcls: [] };
      const matchingAcls = removed[next++]!.map((b) => ({ errorCode: ErrorCodes.NONE, errorMessage: null, ...bindingToWire(b) }));
      return { errorCode: ErrorCodes.NONE, errorMessage: null, matchingAcls };
    });
    return { throttleTimeMs: 0, filterResults };
  },
});
