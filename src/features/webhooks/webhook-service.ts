// Webhooks: endpoints that other systems register to hear of check-ins, corrections, deletions,
// erasures and register marks (webhook-events.ts). Owners and managers ('webhooks:manage') make, list,
// change and remove them and read their delivery log; each change is audited, never with the secret,
// which is shown once: in the answer that made it or rotated it.
//
// A URL is checked when saved (http or https; a host resolving to a public address unless
// WEBHOOK_ALLOW_PRIVATE_NETWORKS=true: network-guard.ts) and again at each delivery (webhook-delivery.ts).
import { type Actor, actorLabel, authorize } from '../../domain/actor.js';
import { DomainError } from '../../domain/domain-error.js';
import { decodePosition, encodeBeforeCursor, fingerprint } from '../../domain/keyset-cursor.js';
import type { ServiceDeps } from '../../services.js';
import { parseWebhookUrl, resolveTarget, UnsafeTarget } from './network-guard.js';
import { newWebhookSecret } from './webhook-delivery.js';
import { EVENT_TYPES, type EventType, isEventType } from './webhook-events.js';
import {
  cancelPending,
  deleteEndpoint,
  type Delivery,
  type EndpointChanges,
  findEndpoint,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  updateEndpoint,
  type WebhookEndpoint,
} from './webhook-repository.js';

export type { Delivery, WebhookEndpoint } from './webhook-repository.js';

const URL_MAX = 2000;
const DESCRIPTION_MAX = 200;
export const DELIVERIES_LIMIT_MAX = 200;

export interface NewWebhook {
  url: string;
  events: readonly string[];
  description?: string;
}

export interface WebhookChanges {
  url?: string;
  events?: readonly string[];
  description?: string;
  enabled?: boolean;
  /** true: a new secret, answered once. */
  rotateSecret?: boolean;
}

export interface DeliveryPage {
  items: Delivery[];
  nextCursor: string | null;
}

/** What an audit record says of an endpoint (never its secret). */
const audited = (e: WebhookEndpoint) => ({ url: e.url, description: e.description, events: e.events, enabled: e.enabled });

export class WebhookService {
  constructor(private readonly deps: ServiceDeps) {}

  async list(actor: Actor): Promise<WebhookEndpoint[]> {
    authorize(actor, 'webhooks:manage');
    return listEndpoints(this.deps.db);
  }

  async get(actor: Actor, id: number): Promise<WebhookEndpoint> {
    authorize(actor, 'webhooks:manage');
    const endpoint = await findEndpoint(this.deps.db, id);
    if (!endpoint) throw DomainError.notFoundOf('webhook', id);
    return endpoint;
  }

  /** A new endpoint, enabled, and its signing secret (shown only in this answer). */
  async create(actor: Actor, input: NewWebhook): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    authorize(actor, 'webhooks:manage');
    const url = await this.checkUrl(input.url);
    const events = checkEvents(input.events);
    const description = checkDescription(input.description ?? '');
    const secret = newWebhookSecret();
    return this.deps.changes.run(actor, async (change) => {
      const endpoint = await insertEndpoint(change.tx, { url, description, events, secret, createdBy: actorLabel(actor) });
      await change.audit({ action: 'create', entity: 'webhook', entityId: endpoint.id, after: audited(endpoint) });
      return { endpoint, secret };
    });
  }

  /** Changes an endpoint; `rotateSecret` answers the new secret (once). Disabling cancels what is pending. */
  async update(actor: Actor, id: number, input: WebhookChanges): Promise<{ endpoint: WebhookEndpoint; secret?: string }> {
    authorize(actor, 'webhooks:manage');
    const changes: EndpointChanges = {};
    if (input.url !== undefined) changes.url = await this.checkUrl(input.url);
    if (input.events !== undefined) changes.events = checkEvents(input.events);
    if (input.description !== undefined) changes.description = checkDescription(input.description);
    if (input.enabled !== undefined) changes.enabled = input.enabled;
    if (input.rotateSecret === true) changes.secret = newWebhookSecret();
    if (Object.keys(changes).length === 0) {
      throw DomainError.invalid('body', 'name something to change: url, events, description, enabled or rotateSecret: true');
    }
    return this.deps.changes.run(actor, async (change) => {
      const before = await findEndpoint(change.tx, id, true);
      if (!before) throw DomainError.notFoundOf('webhook', id);
      const endpoint = (await updateEndpoint(change.tx, id, changes))!;
      const cancelled = before.enabled && !endpoint.enabled ? await cancelPending(change.tx, id) : 0;
      await change.audit({
        action: 'update',
        entity: 'webhook',
        entityId: id,
        before: audited(before),
        after: {
          ...audited(endpoint),
          ...(changes.secret ? { secretRotated: true } : {}),
          ...(cancelled > 0 ? { cancelledMessages: cancelled } : {}),
        },
      });
      return changes.secret ? { endpoint, secret: changes.secret } : { endpoint };
    });
  }

  /** Removes an endpoint with its pending messages and its delivery log. */
  async remove(actor: Actor, id: number): Promise<void> {
    authorize(actor, 'webhooks:manage');
    await this.deps.changes.run(actor, async (change) => {
      const before = await findEndpoint(change.tx, id, true);
      if (!before || !(await deleteEndpoint(change.tx, id))) throw DomainError.notFoundOf('webhook', id);
      await change.audit({ action: 'delete', entity: 'webhook', entityId: id, before: audited(before) });
    });
  }

  /** The delivery attempts to an endpoint, newest first, a page at a time. */
  async deliveries(actor: Actor, id: number, query: { limit?: number; cursor?: string } = {}): Promise<DeliveryPage> {
    authorize(actor, 'webhooks:manage');
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > DELIVERIES_LIMIT_MAX) {
      throw DomainError.invalid('limit', `must be a whole number from 1 to ${DELIVERIES_LIMIT_MAX}`);
    }
    const print = fingerprint({ webhook: id });
    const position = decodePosition(query.cursor, print, 'webhook');
    if (position !== undefined && !('before' in position)) throw DomainError.invalid('cursor', 'is not a cursor issued by this API');
    if (!(await findEndpoint(this.deps.db, id))) throw DomainError.notFoundOf('webhook', id);
    const rows = await listDeliveries(this.deps.db, id, position?.before ?? 0, limit + 1);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? encodeBeforeCursor(items[items.length - 1]!.id, print) : null };
  }

  private async checkUrl(raw: string): Promise<string> {
    const text = raw.trim();
    if (text === '' || text.length > URL_MAX) throw DomainError.invalid('url', `must be 1 to ${URL_MAX} characters`);
    try {
      const url = parseWebhookUrl(text);
      await resolveTarget(url, this.deps.config.webhooks.allowPrivateNetworks);
      return url.toString();
    } catch (error) {
      if (error instanceof UnsafeTarget) throw DomainError.invalid('url', error.message);
      throw error;
    }
  }
}

function checkEvents(events: readonly string[]): EventType[] {
  const unique = [...new Set(events)];
  if (unique.length === 0) throw DomainError.invalid('events', `must name at least one of ${EVENT_TYPES.join(', ')}`);
  const unknown = unique.find((event) => !isEventType(event));
  if (unknown !== undefined) throw DomainError.invalid('events', `"${unknown}" is not one of ${EVENT_TYPES.join(', ')}`);
  return EVENT_TYPES.filter((event) => unique.includes(event));
}

function checkDescription(raw: string): string {
  const text = raw.trim();
  if ([...text].length > DESCRIPTION_MAX) throw DomainError.invalid('description', `must be at most ${DESCRIPTION_MAX} characters`);
  if (text.includes('\u0000')) throw DomainError.invalid('description', 'must not contain NUL characters');
  return text;
}
