import { ANONYMOUS, WILDCARD, WILDCARD_PRINCIPAL, patternCovers, type AclBinding, type OperationName, type ResourceTypeName } from './acl.js';
import type { AclStore } from './acl-store.js';

/** Operations an ALLOW of another operation grants too (Kafka's AclAuthorizer: READ implies DESCRIBE, ...). */
const IMPLIED_BY: Partial<Record<OperationName, readonly OperationName[]>> = {
  DESCRIBE: ['READ', 'WRITE', 'DELETE', 'ALTER'],
  DESCRIBE_CONFIGS: ['ALTER_CONFIGS'],
};

export interface Authorizer {
  /** Whether ACLs are enforced at all (false: everything is allowed, ACL APIs answer SECURITY_DISABLED). */
  readonly enabled: boolean;
  readonly store: AclStore | null;
  authorize(principal: string | null, host: string, operation: OperationName, resourceType: ResourceTypeName, name: string): boolean;
  /** Whether the principal may do `operation` on at least one resource of the type (Kafka's authorizeByResourceType). */
  authorizeAny(principal: string | null, host: string, operation: OperationName, resourceType: ResourceTypeName): boolean;
}

/** No authorizer configured: every principal may do everything. */
export const ALLOW_ALL: Authorizer = { enabled: false, store: null, authorize: () => true, authorizeAny: () => true };

/**
 * Kafka's StandardAuthorizer rules: super users may do everything; otherwise a DENY that matches
 * wins over any ALLOW, an ALLOW matches the operation itself, ALL or an operation implying it, and
 * with no matching ALLOW the answer is no (deny by default, allow.everyone.if.no.acl.found=false).
 * A binding matches by principal (or User:*), host (or *) and resource (literal, literal *, or prefix).
 */
export class AclAuthorizer implements Authorizer {
  readonly enabled = true;
  private readonly superUsers: ReadonlySet<string>;
  /** Decisions memoised per ACL version: principal|host|op|type|name -> allowed. */
  private cache = new Map<string, boolean>();
  private cacheVersion = -1;

  constructor(
    readonly store: AclStore,
    superUsers: readonly string[] = [],
  ) {
    this.superUsers = new Set(superUsers);
  }

  authorize(principal: string | null, host: string, operation: OperationName, resourceType: ResourceTypeName, name: string): boolean {
    const who = principal ?? ANONYMOUS;
    if (this.superUsers.has(who)) return true;
    const bindings = this.store.all();
    if (this.cacheVersion !== this.store.version || this.cache.size > 100_000) {
      this.cache = new Map();
      this.cacheVersion = this.store.version;
    }
    const key = `${who}\0${host}\0${operation}\0${resourceType}\0${name}`;
    let allowed = this.cache.get(key);
    if (allowed === undefined) {
      allowed = decide(bindings, who, host, operation, resourceType, name);
      this.cache.set(key, allowed);
    }
    return allowed;
  }

  authorizeAny(principal: string | null, host: string, operation: OperationName, resourceType: ResourceTypeName): boolean {
    const who = principal ?? ANONYMOUS;
    if (this.superUsers.has(who)) return true;
    const bindings = this.store.all();
    // Some ALLOW of the operation that no wildcard DENY cancels (the rule of Kafka's StandardAuthorizer, simplified to literal '*' denies).
    const applies = (b: AclBinding) =>
      b.resourceType === resourceType && (b.principal === who || b.principal === WILDCARD_PRINCIPAL) && (b.host === host || b.host === WILDCARD);
    const deniedEverywhere = bindings.some(
      (b) => applies(b) && b.permission === 'DENY' && (b.operation === operation || b.operation === 'ALL') && b.patternType === 'LITERAL' && b.resourceName === WILDCARD,
    );
    if (deniedEverywhere) return false;
    return bindings.some((b) => applies(b) && b.permission === 'ALLOW' && (b.operation === operation || b.operation === 'ALL'));
  }
}

function decide(bindings: readonly AclBinding[], principal: string, host: string, operation: OperationName, resourceType: ResourceTypeName, name: string): boolean {
  const implying = IMPLIED_BY[operation] ?? [];
  let allow = false;
  for (const b of bindings) {
    if (b.resourceType !== resourceType || !patternCovers(b, name)) continue;
    if (b.principal !== principal && b.principal !== WILDCARD_PRINCIPAL) continue;
    if (b.host !== host && b.host !== WILDCARD) continue;
    if (b.permission === 'DENY') {
      if (b.operation === operation || b.operation === 'ALL') return false;
    } else if (b.operation === operation || b.operation === 'ALL' || implying.includes(b.operation)) {
      allow = true;
    }
  }
  return allow;
}
