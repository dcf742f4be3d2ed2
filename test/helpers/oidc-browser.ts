/**
 * A browser for the test OpenID provider's dev pages (test/helpers/oidc-provider.ts): fetch with `redirect: 'manual'`,
 * a cookie jar, and just enough HTML reading to submit its forms. The pages are oidc-provider's own, so a full HTML
 * parser or a headless browser would buy nothing here.
 */

export interface SignInOptions {
  /** The login typed into the provider's form: `alice`, `bob` or an account passed to startOidcProvider. */
  login: string;
  /** Any password works at the dev login form. */
  password?: string;
  /** Press "Cancel" on the first provider page instead of signing in: the flow ends with error=access_denied. */
  deny?: boolean;
}

/**
 * Does what a browser does with an authorization URL: follows the provider's redirects with a cookie jar, fills in
 * the login form, confirms (or cancels) consent, and returns the first redirect that leaves the provider's origin
 * (the client's redirect_uri with `code`/`state`/`iss`, or `error`) without requesting it.
 */
export async function signInAtProvider(
  authorizationUrl: string,
  options: SignInOptions,
): Promise<URL> {
  const providerOrigin = new URL(authorizationUrl).origin;
  const jar = new CookieJar();
  let request: { url: URL; form?: URLSearchParams } = {
    url: new URL(authorizationUrl),
  };
  const visited: string[] = [];
  let loginSubmitted = false;

  for (let step = 0; step < 20; step += 1) {
    visited.push(`${request.form ? 'POST' : 'GET'} ${request.url.pathname}`);
    const response = await fetch(request.url, {
      method: request.form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        ...jar.headerFor(request.url),
        ...(request.form
          ? { 'content-type': 'application/x-www-form-urlencoded' }
          : {}),
      },
      body: request.form?.toString(),
    });
    jar.store(request.url, response.headers.getSetCookie());

    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const target = new URL(location, request.url);
      if (target.origin !== providerOrigin) return target;
      request = { url: target };
      continue;
    }

    const html = await response.text();
    if (response.status !== 200)
      throw new Error(
        `the provider answered ${response.status} at ${request.url.pathname} (${visited.join(' → ')}): ${describeErrorPage(html)}`,
      );

    const form = parseForm(html, request.url);
    if (options.deny) {
      const abort = findAbortLink(html, request.url);
      if (!abort) throw new Error(`no Cancel link at ${request.url.pathname}`);
      request = { url: abort };
    } else if (form?.fields.get('prompt') === 'login') {
      // findAccount knows no such login: the dev interactions ask again instead of failing.
      if (loginSubmitted)
        throw new Error(
          `the provider showed its login form again: no account "${options.login}"`,
        );
      loginSubmitted = true;
      form.fields.set('login', options.login);
      form.fields.set('password', options.password ?? 'any-password');
      request = { url: form.action, form: form.fields };
    } else if (form?.fields.get('prompt') === 'consent') {
      request = { url: form.action, form: form.fields };
    } else {
      throw new Error(
        `unexpected page at ${request.url.pathname} (${visited.join(' → ')}): ${describeErrorPage(html)}`,
      );
    }
  }
  throw new Error(`too many steps at the provider: ${visited.join(' → ')}`);
}

/** Host-only cookies by name and path, which is all a loopback provider sets. */
class CookieJar {
  private readonly cookies = new Map<
    string,
    { name: string; value: string; path: string }
  >();

  store(url: URL, setCookies: string[]): void {
    for (const header of setCookies) {
      const [pair, ...attributes] = header.split(';');
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      let path = defaultPath(url);
      let expired = false;
      for (const attribute of attributes) {
        const [key, ...rest] = attribute.split('=');
        const attributeValue = rest.join('=').trim();
        switch (key.trim().toLowerCase()) {
          case 'path':
            if (attributeValue.startsWith('/')) path = attributeValue;
            break;
          case 'max-age':
            expired = Number(attributeValue) <= 0;
            break;
          case 'expires':
            expired = Date.parse(attributeValue) <= Date.now();
            break;
        }
      }
      const key = `${name};${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  headerFor(url: URL): Record<string, string> {
    const matching = [...this.cookies.values()]
      .filter(({ path }) => pathMatches(url.pathname, path))
      .sort((a, b) => b.path.length - a.path.length);
    if (matching.length === 0) return {};
    return {
      cookie: matching.map(({ name, value }) => `${name}=${value}`).join('; '),
    };
  }
}

/** RFC 6265 §5.1.4: the request path up to its last slash. */
function defaultPath(url: URL): string {
  const lastSlash = url.pathname.lastIndexOf('/');
  return lastSlash <= 0 ? '/' : url.pathname.slice(0, lastSlash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** The first form of the page: its action and the named inputs with their values. */
function parseForm(
  html: string,
  base: URL,
): { action: URL; fields: URLSearchParams } | undefined {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const action = attributesOf(form[1]).get('action');
  const fields = new URLSearchParams();
  for (const input of form[2].matchAll(/<input\b([^>]*)>/gi)) {
    const attributes = attributesOf(input[1]);
    const name = attributes.get('name');
    if (name) fields.set(name, attributes.get('value') ?? '');
  }
  return { action: new URL(action ?? base.href, base), fields };
}

function findAbortLink(html: string, base: URL): URL | undefined {
  for (const link of html.matchAll(/<a\b([^>]*)>/gi)) {
    const href = attributesOf(link[1]).get('href');
    if (href && new URL(href, base).pathname.endsWith('/abort'))
      return new URL(href, base);
  }
  return undefined;
}

function attributesOf(tag: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const match of tag.matchAll(
    /([^\s"'=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g,
  )) {
    attributes.set(
      match[1].toLowerCase(),
      decodeEntities(match[2] ?? match[3] ?? match[4] ?? ''),
    );
  }
  return attributes;
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = {
    amp: '&',
    lt: '<',
    gt: '>',
    quot: '"',
    apos: "'",
  };
  return text.replace(
    /&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi,
    (entity: string, body: string) => {
      if (body.startsWith('#x') || body.startsWith('#X'))
        return String.fromCodePoint(parseInt(body.slice(2), 16));
      if (body.startsWith('#'))
        return String.fromCodePoint(parseInt(body.slice(1), 10));
      return named[body.toLowerCase()] ?? entity;
    },
  );
}

/** oidc-provider's error page shows the error and its description in <pre> blocks; keep the text short. */
function describeErrorPage(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}
