// A tiny browser-like HTTP client for tests: keeps cookies, never follows redirects, reads CSRF tokens.
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
  json<T = Record<string, unknown>>(): T;
}

export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(
    method: string,
    path: string,
    options: { form?: Record<string, string | string[]>; json?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'text/html', ...options.headers };
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader();
    let body: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(options.form)) for (const one of [value].flat()) params.append(name, one);
      body = params.toString();
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await fetch(`${this.base}${path}`, { method, headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      text,
      location: response.headers.get('location'),
      json: () => JSON.parse(text),
    };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers });
  }

  post(path: string, form: Record<string, string | string[]>, headers?: Record<string, string>) {
    return this.request('POST', path, { form, headers });
  }

  /** The CSRF token rendered into a page (meta tag or hidden field). */
  static csrf(page: string): string {
    const match = /name="csrf-token" content="([^"]+)"/.exec(page) ?? /name="_csrf" value="([^"]+)"/.exec(page);
    if (!match) throw new Error('no CSRF token on the page');
    return match[1]!;
  }

  /** Signs in through the real form; returns the CSRF token of the new session. */
  async signIn(username: string, password: string): Promise<string> {
    const form = await this.get('/admin');
    const answer = await this.post('/admin/login', { _csrf: Browser.csrf(form.text), username, password, next: '/admin/sheet' });
    if (answer.status !== 303) throw new Error(`sign-in failed with ${answer.status}: ${answer.text.slice(0, 200)}`);
    const tokens = await this.get('/admin/tokens');
    return Browser.csrf(tokens.text);
  }
}
