import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

/**
 * Fastify's response serializers (fast-json-stringify), each compiled at its route's first answer
 * instead of all at start-up: compiling every route's response schemas was about 120 ms of a node's
 * start (measured in its CPU profile), paid again by every test that starts a gateway and by a CLI
 * command's embedded node, most of whose routes are never answered.
 *
 * Passed as the schema controller's `buildSerializer`: the same compiler fastify uses by default,
 * with the same shared schemas and options; only its timing differs.
 */
type BuildSerializer = ReturnType<typeof SerializerSelector>;

export const lazySerializers: BuildSerializer = (externalSchemas, serializerOptions) => {
  const compile = SerializerSelector()(externalSchemas, serializerOptions);
  return (route) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data: unknown) => {
      serialize ??= compile(route) as (data: unknown) => string;
      return serialize(data);
    };
  };
};
