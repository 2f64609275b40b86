import { TributaryError } from '../../records/errors.js';

/** Wrong user name or password, a bad SCRAM proof, a malformed SASL token: the client sees SASL_AUTHENTICATION_FAILED. */
export class SaslAuthenticationError extends TributaryError {
  constructor(message: string) {
    super('SASL_AUTHENTICATION_FAILED', message);
  }
}

/** A SASL mechanism the broker does not offer. */
export class UnsupportedSaslMechanismError extends TributaryError {
  constructor(message: string) {
    super('UNSUPPORTED_SASL_MECHANISM', message);
  }
}

/** A security setting that cannot work (plaintext on a public interface, a missing certificate, a bad ACL). */
export class SecurityConfigError extends TributaryError {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

/** A user or ACL that is not there (users remove of an unknown name). */
export class SecurityResourceNotFoundError extends TributaryError {
  constructor(message: string) {
    super('RESOURCE_NOT_FOUND', message);
  }
}

/** ACL management asked of a broker that runs without an authorizer (Kafka's SECURITY_DISABLED). */
export class SecurityDisabledError extends TributaryError {
  constructor(message: string) {
    super('SECURITY_DISABLED', message);
  }
}
