import { SecurityConfigError } from './errors.js';

/** Kafka's wire codes (org.apache.kafka.common.resource.ResourceType, acl.AclOperation, ...). */
export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export const AclPermission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

export type ResourceTypeName = 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID';
export type PatternTypeName = 'LITERAL' | 'PREFIXED';
export type OperationName = Exclude<keyof typeof AclOperation, 'UNKNOWN' | 'ANY'>;
export type PermissionName = 'ALLOW' | 'DENY';

/** The only name of the cluster resource (Kafka's "kafka-cluster"). */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
/** Literal name, principal and host that match everything. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';
/** The principal of a connection that did not authenticate. */
export const ANONYMOUS = 'User:ANONYMOUS';

/** One ACL entry: `principal` may (not) do `operation` on resources matching `resourceType`/`patternType`/`resourceName`, from `host`. */
export interface AclBinding {
  resourceType: ResourceTypeName;
  resourceName: string;
  patternType: PatternTypeName;
  principal: string;
  host: string;
  operation: OperationName;
  permission: PermissionName;
}

/** Matches bindings; null and 'ANY' mean "any value" (DescribeAcls/DeleteAcls filters, `acls list/remove`). */
export interface AclFilter {
  resourceType: ResourceTypeName | 'ANY';
  resourceName: string | null;
  /** MATCH: the bindings that would apply to resourceName (literal, wildcard and prefixes). */
  patternType: PatternTypeName | 'ANY' | 'MATCH';
  principal: string | null;
  host: string | null;
  operation: OperationName | 'ANY';
  permission: PermissionName | 'ANY';
}

export const MATCH_ALL: AclFilter = {
  resourceType: 'ANY',
  resourceName: null,
  patternType: 'ANY',
  principal: null,
  host: null,
  operation: 'ANY',
  permission: 'ANY',
};

function nameOf<T extends Record<string, number>>(table: T, code: number): keyof T | undefined {
  for (const [k, v] of Object.entries(table)) if (v === code) return k as keyof T;
  return undefined;
}

export const resourceTypeName = (code: number) => nameOf(ResourceType, code);
export const patternTypeName = (code: number) => nameOf(PatternType, code);
export const operationName = (code: number) => nameOf(AclOperation, code);
export const permissionName = (code: number) => nameOf(AclPermission, code);

/** Checks a binding read from a request, a file or the command line; throws SecurityConfigError. */
export function validateBinding(b: AclBinding): AclBinding {
  if (!['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID'].includes(b.resourceType)) throw new SecurityConfigError(`unsupported resource type ${b.resourceType}`);
  if (b.patternType !== 'LITERAL' && b.patternType !== 'PREFIXED') throw new SecurityConfigError(`an ACL's pattern type is LITERAL or PREFIXED, not ${b.patternType}`);
  if (b.resourceName === '') throw new SecurityConfigError('an ACL needs a resource name');
  if (b.resourceType === 'CLUSTER' && b.resourceName !== CLUSTER_RESOURCE_NAME) {
    throw new SecurityConfigError(`the cluster resource is named ${CLUSTER_RESOURCE_NAME}`);
  }
  if (b.patternType === 'PREFIXED' && b.resourceName === WILDCARD) throw new SecurityConfigError("a PREFIXED ACL cannot use the name '*'");
  if (!/^[^:]+:.+$/.test(b.principal)) throw new SecurityConfigError(`a principal is TYPE:NAME (User:alice), got '${b.principal}'`);
  if (b.host === '') throw new SecurityConfigError("an ACL's host is an address or '*'");
  if (!(b.operation in AclOperation) || b.operation === ('ANY' as string) || b.operation === ('UNKNOWN' as string)) {
    throw new SecurityConfigError(`unsupported operation ${b.operation}`);
  }
  if (b.permission !== 'ALLOW' && b.permission !== 'DENY') throw new SecurityConfigError(`an ACL's permission is ALLOW or DENY, not ${b.permission}`);
  return b;
}

/** Whether a binding's pattern covers a concrete resource name. */
export function patternCovers(b: Pick<AclBinding, 'patternType' | 'resourceName'>, name: string): boolean {
  if (b.patternType === 'PREFIXED') return name.startsWith(b.resourceName);
  return b.resourceName === WILDCARD || b.resourceName === name;
}

export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== 'ANY' && f.resourceType !== b.resourceType) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== 'ANY' && f.operation !== b.operation) return false;
  if (f.permission !== 'ANY' && f.permission !== b.permission) return false;
  if (f.patternType === 'MATCH') return f.resourceName === null || patternCovers(b, f.resourceName);
  if (f.patternType !== 'ANY' && f.patternType !== b.patternType) return false;
  return f.resourceName === null || f.resourceName === b.resourceName;
}

export function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return (
    a.resourceType === b.resourceType &&
    a.resourceName === b.resourceName &&
    a.patternType === b.patternType &&
    a.principal === b.principal &&
    a.host === b.host &&
    a.operation === b.operation &&
    a.permission === b.permission
  );
}

/** One line per binding, as `tributary acls list` prints it. */
export function formatBinding(b: AclBinding): string {
  return `${b.permission} ${b.principal} ${b.operation} ${b.resourceType}:${b.patternType}:${b.resourceName} from ${b.host}`;
}
