import { obj, objects, str, type JsonObject } from './json.js';

/** Resolves references inside a message Bundle: by fullUrl, `Type/id` or the tail of an absolute URL. */
export class BundleIndex {
  readonly resources: JsonObject[];
  private readonly byKey = new Map<string, JsonObject>();

  constructor(readonly bundle: JsonObject) {
    this.resources = [];
    for (const entry of objects(bundle['entry'])) {
      const resource = obj(entry['resource']);
      if (!resource) continue;
      this.resources.push(resource);
      const type = str(resource['resourceType']);
      const id = str(resource['id']);
      const fullUrl = str(entry['fullUrl']);
      if (fullUrl) this.byKey.set(fullUrl, resource);
      if (type && id) this.byKey.set(`${type}/${id}`, resource);
    }
  }

  ofType(type: string): JsonObject[] {
    return this.resources.filter((r) => r['resourceType'] === type);
  }

  resolve(reference: unknown): JsonObject | undefined {
    const ref = str(obj(reference)?.['reference']) ?? str(reference);
    if (!ref) return undefined;
    const direct = this.byKey.get(ref);
    if (direct) return direct;
    const tail = ref.split('/').slice(-2).join('/');
    return this.byKey.get(tail);
  }
}

/** The id part of a reference like `MessageHeader/abc` or an absolute URL ending so. */
export function referenceId(reference: unknown, type?: string): string | undefined {
  const ref = str(obj(reference)?.['reference']) ?? str(reference);
  if (!ref) return undefined;
  const parts = ref.split('/');
  const id = parts[parts.length - 1];
  const refType = parts[parts.length - 2];
  if (type && refType !== type) return undefined;
  return id;
}
