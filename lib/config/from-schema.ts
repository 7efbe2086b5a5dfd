// The TypeScript type a (const) JSON Schema describes, for the subset our schemas use: enum,
// anyOf, string, integer, number, boolean, array, object with required keys. It lets a
// hand-written interface (with its doc comments) be checked against the schema at compile time.
export type FromSchema<S> = S extends { enum: readonly (infer E)[] }
  ? E
  : S extends { anyOf: readonly (infer A)[] }
    ? FromSchema<A>
    : S extends { type: 'string' }
      ? string
      : S extends { type: 'integer' | 'number' }
        ? number
        : S extends { type: 'boolean' }
          ? boolean
          : S extends { type: 'array'; items: infer I }
            ? FromSchema<I>[]
            : S extends { type: 'object'; properties: infer P }
              ? ObjectOf<P, S extends { required: readonly (infer R)[] } ? R : never>
              : unknown;

type ObjectOf<P, R> = Flat<{ [K in keyof P as K extends R ? K : never]: FromSchema<P[K]> } & { [K in keyof P as K extends R ? never : K]?: FromSchema<P[K]> }>;
type Flat<T> = { [K in keyof T]: T[K] };

/** true when A and B are assignable both ways */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
