// The TypeScript type a (const) JSON Schema describes, for the subset our schemas use: $ref into
// definitions, const, enum, anyOf, oneOf (variants of one object), type names and type lists,
// arrays, objects with required keys, maps (additionalProperties). The config's raw types are
// derived from the schemas this way, so they cannot drift from what validation accepts.
type Defs<R> = R extends { definitions: infer D } ? D : never;
type Req<S> = S extends { required: readonly (infer K)[] } ? K : never;
type Prim<T> = T extends 'string' ? string : T extends 'number' | 'integer' ? number : T extends 'boolean' ? boolean : T extends 'null' ? null : never;

export type FromSchema<S, R = S> = S extends { $ref: `#/definitions/${infer D}` }
  ? D extends keyof Defs<R>
    ? FromSchema<Defs<R>[D], R>
    : unknown
  : S extends { const: infer C }
    ? C
    : S extends { enum: readonly (infer E)[] }
      ? E
      : S extends { anyOf: readonly (infer A)[] }
        ? FromSchema<A, R>
        : S extends { oneOf: readonly (infer O)[] }
          ? Variant<O, Req<S>, R>
          : S extends { type: 'array'; items: infer I }
            ? FromSchema<I, R>[]
            : S extends { type: 'object'; properties: infer P }
              ? ObjectOf<P, Req<S>, R>
              : S extends { type: 'object'; additionalProperties: infer X }
                ? X extends boolean
                  ? Record<string, unknown>
                  : Record<string, FromSchema<X, R>>
                : S extends { type: 'object' }
                  ? Record<string, unknown>
                  : S extends { type: readonly (infer T)[] }
                    ? Prim<T>
                    : S extends { type: infer T }
                      ? Prim<T>
                      : unknown;

type Variant<O, BaseReq, R> = O extends { properties: infer P } ? ObjectOf<P, Req<O> | BaseReq, R> : never;

type ObjectOf<P, K, R> = Flat<
  { -readonly [N in keyof P as N extends K ? N : never]: FromSchema<P[N], R> } & { -readonly [N in keyof P as N extends K ? never : N]?: FromSchema<P[N], R> }
>;
type Flat<T> = { [K in keyof T]: T[K] };

/** true when A and B are assignable both ways */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
