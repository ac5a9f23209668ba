// GET /api/docs: the API viewer. The OpenAPI document rendered on the server as one plain page (no
// script, the site's own stylesheet): a contents list by tag, then each operation with who may call it,
// its parameters, its body and its answers, the schemas folded away in <details>. It replaced Swagger
// UI, whose page had critical and serious axe-core violations (unlabelled inputs, nested buttons, an
// image without text, contrast) that configuration could not remove. The document itself stays at
// /api/openapi.json (and /api/docs/json, where Swagger UI had it) for tools.
import { html, type SafeHtml } from '../views/html.js';
import { page } from '../views/layout.js';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: unknown;
}
interface MediaTypes {
  content?: Record<string, { schema?: unknown }>;
  description?: string;
  'x-response-description'?: string;
}
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: MediaTypes & { required?: boolean };
  responses?: Record<string, MediaTypes>;
}
export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** A schema, folded: its JSON in a focusable (so scrollable by keyboard) block. */
function schemaBlock(label: string, schema: unknown): SafeHtml | '' {
  if (schema === undefined) return '';
  return html`<details class="api-schema">
    <summary>${label}</summary>
    <pre tabindex="0" aria-label="${label}">${JSON.stringify(schema, null, 2)}</pre>
  </details>`;
}

/** Who may call: the security requirements in words. */
function callers(security: Operation['security']): string {
  if (!security || security.length === 0) return 'Anyone (no credentials).';
  const words = security.map((requirement) =>
    Object.entries(requirement)
      .map(([scheme, scopes]) =>
        scheme === 'gateToken'
          ? `a gate token${scopes.length > 0 ? ` with the ${scopes.join(', ')} scope` : ''}`
          : scheme === 'adminSession'
            ? 'a signed-in session'
            : scheme === 'csrfToken'
              ? 'its CSRF token'
              : scheme,
      )
      .join(' with '),
  );
  return `${words.join(', or ')}.`.replace(/^./, (c) => c.toUpperCase());
}

function parameters(list: Parameter[] | undefined, id: string): SafeHtml | '' {
  if (!list || list.length === 0) return '';
  return html`<div class="table-wrap">
    <table class="table table-compact api-params">
      <caption class="visually-hidden">
        Parameters of ${id}
      </caption>
      <thead>
        <tr>
          <th scope="col">Parameter</th>
          <th scope="col">In</th>
          <th scope="col">Type</th>
          <th scope="col">Description</th>
        </tr>
      </thead>
      <tbody>
        ${list.map((p) => {
          const schema = (p.schema ?? {}) as { type?: string | string[]; enum?: unknown[]; format?: string };
          const type = schema.enum ? schema.enum.map(String).join(' | ') : [schema.type ?? ''].flat().join(' | ');
          return html`<tr>
            <th scope="row"><code>${p.name}</code>${p.required ? html` <span class="hint">(required)</span>` : ''}</th>
            <td>${p.in}</td>
            <td><code>${type}${schema.format ? ` (${schema.format})` : ''}</code></td>
            <td>${p.description ?? ''}</td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}

function operation(method: string, path: string, op: Operation): SafeHtml {
  const id = op.operationId ?? `${method}-${path}`;
  const body = op.requestBody;
  return html`<article class="card api-operation" id="${id}" aria-labelledby="${id}-title">
    <h3 id="${id}-title">
      <span class="api-method api-method-${method}">${method.toUpperCase()}</span> <code class="api-path">${path}</code>
      ${op.summary ? html`<span class="api-summary">${op.summary}</span>` : ''}
    </h3>
    ${op.description ? html`<p>${op.description}</p>` : ''}
    <p class="hint">Who may call: ${callers(op.security)}</p>
    ${parameters(op.parameters, `${method.toUpperCase()} ${path}`)}
    ${
      body?.content
        ? html`<h4>Request body${body.required ? '' : ' (optional)'}</h4>
            ${Object.entries(body.content).map(([type, media]) => schemaBlock(`${type} schema`, media.schema))}`
        : ''
    }
    <h4>Answers</h4>
    <dl class="api-answers">
      ${Object.entries(op.responses ?? {}).map(
        ([status, answer]) =>
          html`<dt><code>${status}</code></dt>
            <dd>
              ${answer.description ?? answer['x-response-description'] ?? ''}
              ${Object.entries(answer.content ?? {}).map(([type, media]) => schemaBlock(`${status}: ${type} schema`, media.schema))}
            </dd>`,
      )}
    </dl>
  </article>`;
}

/** The whole viewer page for `doc`. */
export function apiDocsPage(doc: OpenApiDocument): string {
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const tag of doc.tags ?? []) byTag.set(tag.name, []);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ method, path, op });
    }
  }
  const described = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
  const sections = [...byTag].filter(([, ops]) => ops.length > 0);
  const body = html`<div class="page-head">
      <h1>${doc.info.title} <span class="hint">${doc.info.version}</span></h1>
      ${doc.info.description ? html`<p class="lede">${doc.info.description}</p>` : ''}
      <p>The OpenAPI 3.1 document for tools: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
    </div>
    <nav class="card api-contents" aria-labelledby="api-contents-title">
      <h2 id="api-contents-title">Contents</h2>
      <ul>
        ${sections.map(([tag, ops]) => html`<li><a href="#tag-${tag}">${tag}</a> <span class="hint">(${ops.length})</span></li>`)}
      </ul>
    </nav>
    ${sections.map(
      ([tag, ops]) =>
        html`<section class="api-tag" aria-labelledby="tag-${tag}">
          <h2 id="tag-${tag}">${tag}</h2>
          ${described.get(tag) ? html`<p>${described.get(tag)}</p>` : ''} ${ops.map((o) => operation(o.method, o.path, o.op))}
        </section>`,
    )}`;
  return page({ title: 'API', body, bodyClass: 'api-docs' });
}
