/**
 * `Decoded<T>`: a message type as the decoders return it. The generated interfaces mark fields
 * that are absent from some versions (or tagged) optional, so that an encoder accepts a message
 * without them (they are written as their defaults); a decoder always sets every field, to the
 * value read or to the spec's default, and its return type says so.
 */
export type Decoded<T> = T extends Buffer
  ? T
  : T extends readonly (infer E)[]
    ? Decoded<E>[]
    : T extends object
      ? { [K in keyof T]-?: Decoded<T[K]> }
      : T;
