import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';
import { messageOf } from '../errors.js';
import { AclWireError, aclStoreFor, bindingFromWire } from '../security/acl-wire.js';
import { validateBinding } from '../security/acl.js';

/** CreateAcls: adds bindings to the data directory's ACL file (ALTER on the cluster needed). */
export const createAcls = defineHandler({
  apiKey: ApiKeys.CreateAcls,
  handle(ctx, req) {
    const store = aclStoreFor(ctx, 'ALTER');
    if (!('add' in store)) return { throttleTimeMs: 0, results: req.creations.map(() => store) };
    const results = req.creations.map((c) => {
      try {
        store.add([validateBinding(bindingFromWire(c))]);
        return { errorCode: ErrorCodes.NONE, errorMessage: null };
      } catch (e) {
        return { errorCode: e instanceof AclWireError ? e.errorCode : ErrorCodes.INVALID_REQUEST, errorMessage: messageOf(e) };
      }
    });
    return { throttleTimeMs: 0, results };
  },
});
