// One WebSocket to /events/v1 for the whole app. Views subscribe to topics; after a
// reconnect the subscriptions are renewed and every handler gets {type: "reconnected"} so
// that it refetches what it may have missed (subscribe first, fetch second: nothing falls in
// between).
import { refresh, token } from "./api";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventMessage = { type: string; [key: string]: any };
type Handler = (m: EventMessage) => void;

interface Subscription {
  frame: Record<string, string>;
  handler: Handler;
}

let socket: WebSocket | null = null;
let authenticated = false;
let everAuthenticated = false;
let backoff = 500;
let nextId = 1;
const subscriptions = new Map<string, Subscription>();
const statusListeners = new Set<(live: boolean) => void>();

function setLive(live: boolean): void {
  for (const l of statusListeners) l(live);
}

export function onStatus(fn: (live: boolean) => void): () => void {
  statusListeners.add(fn);
  return () => statusListeners.delete(fn);
}

function send(frame: object): void {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}

function connect(): void {
  if (socket) return;
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/events/v1`);
  socket = ws;
  ws.onopen = () => send({ type: "auth", token: token() });
  ws.onmessage = (ev) => {
    let m: EventMessage;
    try {
      m = JSON.parse(String(ev.data));
    } catch {
      return;
    }
    if (m.type === "authenticated") {
      authenticated = true;
      backoff = 500;
      setLive(true);
      for (const [id, s] of subscriptions) send({ ...s.frame, type: "subscribe", id });
      if (everAuthenticated) for (const s of subscriptions.values()) s.handler({ type: "reconnected" });
      everAuthenticated = true;
      return;
    }
    if (m.type === "error" && m.code === "unauthenticated" && !m.id) {
      // The access token expired: get a new one and start over.
      void refresh().then(() => ws.close());
      return;
    }
    if (m.type === "run_state" || m.type === "run_output") {
      for (const s of subscriptions.values()) if (s.frame.topic === "task" && s.frame.task === m.task) s.handler(m);
      return;
    }
    if (m.type === "changed") {
      for (const s of subscriptions.values())
        if (s.frame.topic === m.resource && s.frame.space === m.space) s.handler(m);
      return;
    }
    if (m.id && subscriptions.has(m.id)) subscriptions.get(m.id)!.handler(m);
  };
  ws.onclose = () => {
    socket = null;
    authenticated = false;
    setLive(false);
    if (!token()) return;
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  };
}

// Subscribes; returns the function that unsubscribes.
export function subscribe(frame: Record<string, string>, handler: Handler): () => void {
  const id = `v${nextId++}`;
  subscriptions.set(id, { frame, handler });
  connect();
  if (authenticated) send({ ...frame, type: "subscribe", id });
  return () => {
    subscriptions.delete(id);
    send({ type: "unsubscribe", id });
  };
}

export function disconnect(): void {
  subscriptions.clear();
  socket?.close();
  socket = null;
}
