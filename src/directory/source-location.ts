/**
 * A SOR import source as it may be shown, stored or audited: a URL without its user information
 * (user:password@) and without query string or fragment, where access tokens often sit. File
 * names and paths are kept as they are.
 */
const URL_LIKE = /^[a-z][a-z\d+.-]*:\/\//i;

export function redactSourceLocation(source: string): string {
  if (!URL_LIKE.test(source)) return source;
  try {
    const url = new URL(source);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    // Unparseable: strip what looks like user information and everything from ? or # on.
    const [, scheme = '', rest = ''] = /^([a-z][a-z\d+.-]*:\/\/)(.*)$/is.exec(source) ?? [];
    const withoutQuery = rest.split(/[?#]/, 1)[0] ?? '';
    const slash = withoutQuery.indexOf('/');
    const authority = slash < 0 ? withoutQuery : withoutQuery.slice(0, slash);
    const host = authority.slice(authority.lastIndexOf('@') + 1);
    return `${scheme}${host}${slash < 0 ? '' : withoutQuery.slice(slash)}`;
  }
}
