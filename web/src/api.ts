// The REST API from the browser: the access token in memory, the refresh token in
// localStorage (so a reload keeps the session), refreshed once when a call answers 401.
// Errors are RFC 9457 problems; ApiError carries their title and detail for the user.

export class ApiError extends Error {
  constructor(
    public status: number,
    public title: string,
    public detail: string,
    public type: string,
    // The whole problem document: its extension members (a 422's "errors") are here.
    public body: Record<string, unknown> = {},
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

const REFRESH_KEY = "ris.refresh_token";
let accessToken = "";
let refreshing: Promise<boolean> | null = null;
let onSignedOut: () => void = () => {};

export function setSignedOutHandler(fn: () => void): void {
  onSignedOut = fn;
}
export function token(): string {
  return accessToken;
}
export function hasSession(): boolean {
  return !!localStorage.getItem(REFRESH_KEY);
}

function saveTokens(body: { access_token: string; refresh_token: string }): void {
  accessToken = body.access_token;
  localStorage.setItem(REFRESH_KEY, body.refresh_token);
}

async function problem(res: Response): Promise<ApiError> {
  let title = `HTTP ${res.status}`;
  let detail = "";
  let type = "";
  let body: Record<string, unknown> = {};
  try {
    const p = await res.json();
    title = p.title ?? title;
    detail = p.detail ?? "";
    type = String(p.type ?? "").split("/").pop() ?? "";
    if (p && typeof p === "object") body = p;
  } catch {
    /* not a problem document */
  }
  return new ApiError(res.status, title, detail, type, body);
}

export async function login(login: string, password: string, totp?: string): Promise<void> {
  const res = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(totp ? { login, password, totp } : { login, password }),
  });
  if (!res.ok) throw await problem(res);
  saveTokens(await res.json());
}

export async function refresh(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      const refresh_token = localStorage.getItem(REFRESH_KEY);
      if (!refresh_token) return false;
      const res = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token }),
      });
      if (!res.ok) {
        localStorage.removeItem(REFRESH_KEY);
        return false;
      }
      saveTokens(await res.json());
      return true;
    })().finally(() => (refreshing = null));
  }
  return refreshing;
}

export async function logout(): Promise<void> {
  const refresh_token = localStorage.getItem(REFRESH_KEY);
  localStorage.removeItem(REFRESH_KEY);
  accessToken = "";
  if (refresh_token)
    await fetch("/api/v1/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token }),
    }).catch(() => undefined);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  return send<T>(method, path, body === undefined ? undefined : JSON.stringify(body), "application/json");
}

// call() with a body that is not JSON (a key's value), sent as `contentType`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function send<T = any>(method: string, path: string, body: string | undefined, contentType: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    if (body !== undefined) headers["Content-Type"] = contentType;
    const res = await fetch(path, { method, headers, body });
    if (res.status === 401 && attempt === 0 && (await refresh())) continue;
    if (res.status === 401) onSignedOut();
    if (!res.ok) throw await problem(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

export async function text(path: string): Promise<string> {
  const res = await fetch(path, { headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {} });
  if (!res.ok) throw await problem(res);
  return res.text();
}
