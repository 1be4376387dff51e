/**
 * Our OpenAPI document against FastAPI Task Manager 1.1.1's models (`fastapi-task-manager.ts`), for its 13
 * endpoints: same paths and parameters, same schema names, every field of the original with its JSON type
 * (`integer` vs `number`), date format and nullability, required request fields; anything more only as a
 * documented addition (named in docs/migration-from-fastapi-task-manager.md) and with its declared type.
 */
import { readFileSync } from 'node:fs';
import { SwaggerModule } from '@nestjs/swagger';
import { startApiApp, type ApiApp } from '../api/api-app.js';
import {
  ADDITIONS,
  BODY_ADDITIONS,
  DIFFERENCES,
  ENDPOINTS,
  MODELS,
  QUERY_ADDITIONS,
  type Field,
  type ModelName,
} from './fastapi-task-manager.js';
import { PlainTasks, ReportTasks } from './fixtures.js';

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  nullable?: boolean;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: Schema[];
}
interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const GUIDE = readFileSync(new URL('../../docs/migration-from-fastapi-task-manager.md', import.meta.url), 'utf8');
const refName = (schema: Schema | undefined) => schema?.$ref?.replace('#/components/schemas/', '');

/** Problems of our property `ours` as the field `field` of the original (or one of our additions). */
function fieldProblems(ours: Schema | undefined, field: Field, where: string, request: boolean): string[] {
  if (!ours) return [`${where}: missing`];
  const problems: string[] = [];
  const ref = refName(ours) ?? refName(ours.allOf?.[0]);
  const type = ref ? 'object' : ours.type;
  if (type !== field.type) problems.push(`${where}: type ${type}, the original's is ${field.type}`);
  if (field.format && ours.format !== field.format)
    problems.push(`${where}: format ${ours.format}, not ${field.format}`);
  if (field.type === 'array' && field.items) {
    const items = field.items in MODELS ? refName(ours.items) : ours.items?.type;
    if (items !== field.items) problems.push(`${where}: items ${items}, the original's are ${field.items}`);
  }
  // A request must accept null wherever the original does; a response may only send null where the original may.
  if (request && field.nullable && !ours.nullable) problems.push(`${where}: refuses null, the original accepts it`);
  if (!request && ours.nullable && !field.nullable) problems.push(`${where}: nullable, never null in the original`);
  return problems;
}

describe('OpenAPI document against FastAPI Task Manager 1.1.1', () => {
  let api: ApiApp;
  let doc: Document;

  beforeAll(async () => {
    api = await startApiApp({ groups: [ReportTasks, PlainTasks], label: 'compat-openapi' });
    doc = SwaggerModule.createDocument(api.app, {
      openapi: '3.0.0',
      info: { title: 'compat', version: '1' },
    }) as unknown as Document;
  });
  afterAll(async () => {
    await api?.dispose();
  });

  /** Problems of our schema named `model` against the original's model of that name. */
  function modelProblems(model: ModelName, request: boolean): string[] {
    const schema = doc.components.schemas[model];
    if (!schema) return [`${model}: no schema of that name`];
    const properties = schema.properties ?? {};
    const problems: string[] = [];
    for (const [name, field] of Object.entries(MODELS[model])) {
      const widened = DIFFERENCES[model]?.[name] === 'nullable' ? { ...field, nullable: true } : field;
      problems.push(...fieldProblems(properties[name], widened, `${model}.${name}`, request));
    }
    for (const [name, ours] of Object.entries(properties)) {
      if (name in MODELS[model]) continue;
      const added = ADDITIONS[model]?.[name];
      if (!added) problems.push(`${model}.${name}: neither the original's nor a documented addition`);
      else problems.push(...fieldProblems(ours, added, `${model}.${name} (addition)`, request));
    }
    if (request) {
      const required = Object.entries(MODELS[model])
        .filter(([, field]) => field.required)
        .map(([name]) => name);
      expect(schema.required?.slice().sort(), `${model} required`).toEqual(required.sort());
    }
    return problems;
  }

  it.each(ENDPOINTS.map((e) => [e.method.toUpperCase(), e.path, e] as const))(
    '%s %s: parameters, request and response schemas as the original, plus documented additions',
    (_method, _path, endpoint) => {
      const operation = doc.paths[`/task-manager${endpoint.path}`]?.[endpoint.method];
      expect(operation, 'operation').toBeDefined();

      const params = (operation.parameters ?? []).map((p) => `${p.in}:${p.name}${p.required ? '!' : ''}`).sort();
      const original = endpoint.parameters.map((p) => `${p.in}:${p.name}${p.required ? '!' : ''}`);
      const added = (QUERY_ADDITIONS[`${endpoint.method} ${endpoint.path}`] ?? []).map((name) => `query:${name}`);
      expect(params).toEqual([...original, ...added].sort());

      const ok = operation.responses['200'].content!['application/json'].schema;
      expect(refName(endpoint.isArray ? ok.items : ok)).toBe(endpoint.response);
      if (endpoint.isArray) expect(ok.type).toBe('array');
      expect(modelProblems(endpoint.response, false)).toEqual([]);

      if (endpoint.body) {
        expect(refName(operation.requestBody!.content['application/json'].schema)).toBe(endpoint.body);
        expect(modelProblems(endpoint.body, true)).toEqual([]);
      } else if (BODY_ADDITIONS[`${endpoint.method} ${endpoint.path}`]) {
        const added = operation.requestBody!;
        expect(refName(added.content['application/json'].schema)).toBe(
          BODY_ADDITIONS[`${endpoint.method} ${endpoint.path}`],
        );
        expect((added as { required?: boolean }).required, 'an added body is optional').not.toBe(true);
      } else {
        expect(operation.requestBody).toBeUndefined();
      }
    },
  );

  it.each(['TaskRun', 'AffectedTask', 'RegisteredFunctionInfo'] as const)(
    'nested model %s: fields as the original, plus documented additions',
    (model) => {
      expect(modelProblems(model, false)).toEqual([]);
    },
  );

  it('documents every addition and difference in the migration guide', () => {
    const named = (name: string) => GUIDE.includes(`\`${name}\``);
    const undocumented = [
      ...Object.entries(ADDITIONS).flatMap(([model, fields]) =>
        Object.keys(fields ?? {})
          .filter((name) => !named(name))
          .map((name) => `${model}.${name}`),
      ),
      ...Object.values(BODY_ADDITIONS)
        .filter((name) => !named(name))
        .map((name) => `body ${name}`),
      ...Object.entries(QUERY_ADDITIONS).flatMap(([op, names]) =>
        names.filter((name) => !named(name)).map((name) => `${op} ?${name}`),
      ),
      ...Object.entries(DIFFERENCES).flatMap(([model, fields]) =>
        Object.keys(fields ?? {})
          .filter((name) => !named(name))
          .map((name) => `${model}.${name}`),
      ),
    ];
    expect(undocumented).toEqual([]);
  });
});
