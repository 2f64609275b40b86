import { ErrorCodes } from '../../protocol/index.js';
import type { RequestContext } from '../context.js';
import {
  AclOperation,
  AclPermission,
  CLUSTER_RESOURCE_NAME,
  PatternType,
  ResourceType,
  operationName,
  patternTypeName,
  permissionName,
  resourceTypeName,
  type AclBinding,
  type AclFilter,
} from './acl.js';
import type { AclStore } from './acl-store.js';

/** Wire codes <-> names for the ACL APIs (CreateAcls, DescribeAcls, DeleteAcls). */
export class AclWireError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

function named<T extends string>(name: string | undefined, allowed: readonly string[], what: string): T {
  if (name === undefined || !allowed.includes(name)) throw new AclWireError(ErrorCodes.INVALID_REQUEST, `unsupported ${what}`);
  return name as T;
}

const RESOURCE_TYPES = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID'];
const OPERATIONS = Object.keys(AclOperation).filter((k) => k !== 'ANY' && k !== 'UNKNOWN');

/** A binding from CreateAcls (pattern type LITERAL before v1). */
export function bindingFromWire(c: {
  resourceType: number;
  resourceName: string;
  resourcePatternType?: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}): AclBinding {
  return {
    resourceType: named(resourceTypeName(c.resourceType), RESOURCE_TYPES, 'resource type'),
    resourceName: c.resourceName,
    patternType: named(patternTypeName(c.resourcePatternType ?? PatternType.LITERAL), ['LITERAL', 'PREFIXED'], 'pattern type'),
    principal: c.principal,
    host: c.host,
    operation: named(operationName(c.operation), OPERATIONS, 'operation'),
    permission: named(permissionName(c.permissionType), ['ALLOW', 'DENY'], 'permission type'),
  };
}

/** A filter from DescribeAcls/DeleteAcls. */
export function filterFromWire(f: {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter?: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}): AclFilter {
  return {
    resourceType: named(resourceTypeName(f.resourceTypeFilter), ['ANY', ...RESOURCE_TYPES], 'resource type filter'),
    resourceName: f.resourceNameFilter,
    patternType: named(patternTypeName(f.patternTypeFilter ?? PatternType.LITERAL), ['ANY', 'MATCH', 'LITERAL', 'PREFIXED'], 'pattern type filter'),
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: named(operationName(f.operation), ['ANY', ...OPERATIONS], 'operation filter'),
    permission: named(permissionName(f.permissionType), ['ANY', 'ALLOW', 'DENY'], 'permission type filter'),
  };
}

export function bindingToWire(b: AclBinding) {
  return {
    resourceType: ResourceType[b.resourceType],
    resourceName: b.resourceName,
    patternType: PatternType[b.patternType],
    principal: b.principal,
    host: b.host,
    operation: AclOperation[b.operation],
    permissionType: AclPermission[b.permission],
  };
}

/**
 * The store to manage ACLs through, or an error code: SECURITY_DISABLED without an authorizer,
 * CLUSTER_AUTHORIZATION_FAILED without `operation` (ALTER to change, DESCRIBE to read) on the cluster.
 */
export function aclStoreFor(ctx: RequestContext, operation: 'ALTER' | 'DESCRIBE'): AclStore | { errorCode: number; errorMessage: string } {
  const { authorizer } = ctx.broker.security;
  if (!authorizer.enabled || authorizer.store === null) {
    return { errorCode: ErrorCodes.SECURITY_DISABLED, errorMessage: 'No authorizer is configured on the broker (start it with --acls)' };
  }
  if (!authorizer.authorize(ctx.connection.principal, ctx.connection.clientAddress, operation, 'CLUSTER', CLUSTER_RESOURCE_NAME)) {
    return { errorCode: ErrorCodes.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `${operation} on the cluster is needed to manage ACLs` };
  }
  return authorizer.store;
}
