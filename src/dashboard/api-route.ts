/**
 * Declaring a JSON route once: zod schemas for params, query and response, which validate the request,
 * check the answer before it is sent, and feed the OpenAPI document served at /api/docs.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

export interface ApiRouteSpec<P extends z.ZodType, Q extends z.ZodType, R extends z.ZodType> {
  url: string;
  summary: string;
  params?: P;
  query?: Q;
  response: R;
  /** Content type when not JSON (the handler then returns a string). */
  produces?: 'text/plain; version=0.0.4; charset=utf-8' | 'text/event-stream';
}

export type AnySpec = ApiRouteSpec<z.ZodType, z.ZodType, z.ZodType>;

/** Collects the specs it registers, for the OpenAPI document. */
export function createApiRouter(app: FastifyInstance) {
  const specs: AnySpec[] = [];
  return {
    specs,
    /** Registers GET `spec.url`; a handler answering undefined means 404 (unknown session or worker). */
    get<
      P extends z.ZodType = z.ZodObject<Record<never, never>>,
      Q extends z.ZodType = z.ZodObject<Record<never, never>>,
      R extends z.ZodType = z.ZodType,
    >(
      spec: ApiRouteSpec<P, Q, R>,
      handler: (input: {
        params: z.infer<P>;
        query: z.infer<Q>;
      }) => Promise<z.infer<R> | undefined> | z.infer<R> | undefined,
    ): void {
      specs.push(spec);
      app.get(spec.url, async (req, reply) => {
        const params = (spec.params ?? z.object({})).safeParse(req.params);
        const query = (spec.query ?? z.object({})).safeParse(req.query);
        if (!params.success || !query.success) {
          const issue = (!params.success ? params.error : query.error!).issues[0];
          return reply.code(400).send({
            error: 'bad_request',
            message: `${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`,
          });
        }
        const out = await handler({ params: params.data as z.infer<P>, query: query.data as z.infer<Q> });
        if (out === undefined)
          return reply.code(404).send({ error: 'not_found', message: 'No such session or worker.' });
        const checked = spec.response.parse(out);
        if (spec.produces) return reply.type(spec.produces).send(checked);
        return reply.type('application/json; charset=utf-8').send(checked);
      });
    },
  };
}

const pathOf = (url: string) => url.replace(/:(\w+)/g, '{$1}');

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema || !(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || !s.safeParse(undefined).success,
    schema: z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }),
  }));
}

/** An OpenAPI 3.1 document for `specs` at crewmux `version`; every operation also takes the `token` query parameter. */
export function openApiDocument(
  specs: AnySpec[],
  extra: { url: string; summary: string; produces: string; params?: z.ZodType; query?: z.ZodType }[],
  version: string,
) {
  const paths: Record<string, Record<string, unknown>> = {};
  const token = {
    name: 'token',
    in: 'query',
    required: false,
    description: 'The dashboard token (or send Authorization: Bearer).',
    schema: { type: 'string' },
  };
  for (const s of specs) {
    const type = s.produces ?? 'application/json';
    paths[pathOf(s.url)] = {
      get: {
        summary: s.summary,
        parameters: [...parameters(s.params, 'path'), ...parameters(s.query, 'query'), token],
        responses: {
          200: {
            description: 'OK',
            content: { [type]: { schema: z.toJSONSchema(s.response, { io: 'output', unrepresentable: 'any' }) } },
          },
          401: { description: 'No or wrong token' },
          403: { description: 'Bad Host or Origin' },
          404: { description: 'Unknown session or worker' },
        },
      },
    };
  }
  for (const e of extra)
    paths[pathOf(e.url)] = {
      get: {
        summary: e.summary,
        parameters: [...parameters(e.params, 'path'), ...parameters(e.query, 'query'), token],
        responses: { 200: { description: 'OK', content: { [e.produces]: {} } } },
      },
    };
  return {
    openapi: '3.1.0',
    info: {
      title: 'crewmux dashboard',
      version,
      description: 'Read-only view of crewmux sessions. Loopback only; every request carries the token.',
    },
    components: {
      securitySchemes: {
        token: { type: 'apiKey', in: 'query', name: 'token' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    security: [{ token: [] }, { bearer: [] }],
    paths,
  };
}
