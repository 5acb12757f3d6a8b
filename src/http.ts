// The agent's HTTP endpoints (node:http): GET /members, /metrics, /health, / (the live page)
// and /events (Server-Sent Events feeding the page). docs/operations.md.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MemberEvent, MemberJSON } from './member';
import { PROMETHEUS_CONTENT_TYPE, renderMetrics } from './metrics';
import type { Swim } from './swim';
import { PAGE_HTML } from './web/page';

/** One entry of the timeline the page shows (and /events sends). */
export interface TimelineEntry {
  /** ms since the epoch, when the agent saw it. */
  time: number;
  /** 'joined', 'suspected', 'dead', 'left', 'alive' (recovered), 'dropped' or 'updated'. */
  kind: string;
  /** What changed: 'new', 'status', 'uri', 'incarnation', 'payload', 'drop'. */
  changes: string[];
  member: MemberJSON;
}

/** What an event means for the view, in one word. */
export function eventKind(ev: MemberEvent): string {
  if (ev.isDrop) return 'dropped';
  if (ev.isNew) return 'joined';
  if (ev.isNewStatus) return ev.member.status;
  return 'updated';
}

function changesOf(ev: MemberEvent): string[] {
  const c: string[] = [];
  if (ev.isNew) c.push('new');
  if (ev.isDrop) c.push('drop');
  if (ev.isNewStatus) c.push('status');
  if (ev.isNewUri) c.push('uri');
  if (ev.isNewIncarnation) c.push('incarnation');
  if (ev.isNewPayload) c.push('payload');
  return c;
}

export interface SwimHttpOptions {
  /** Timeline entries kept for pages loaded later (default 200). */
  timelineSize?: number;
  /** Seconds between SSE keep-alive comments (default 15). */
  keepAliveSeconds?: number;
}

/** The JSON of GET /members. */
export function membersBody(swim: Swim): { uuid: string; uri: string; members: MemberJSON[] } {
  return { uuid: swim.uuid, uri: swim.uri, members: swim.members().map((m) => m.toJSON()) };
}

/**
 * An HTTP server serving `swim`'s view: GET /members (JSON), /metrics (Prometheus text
 * 0.0.4), /health, / (a live HTML page) and /events (Server-Sent Events: a `snapshot`
 * event, then one `member` event per member event). Not listening yet: call listen().
 */
export class SwimHttpServer {
  readonly server: http.Server;
  readonly #swim: Swim;
  readonly #timeline: TimelineEntry[] = [];
  readonly #timelineSize: number;
  readonly #clients = new Set<http.ServerResponse>();
  readonly #keepAlive: NodeJS.Timeout;
  readonly #onMember = (ev: MemberEvent): void => this.#record(ev);
  readonly #onClose = (): void => this.#broadcast('closed', { uuid: this.#swim.uuid });

  constructor(swim: Swim, options: SwimHttpOptions = {}) {
    this.#swim = swim;
    this.#timelineSize = options.timelineSize ?? 200;
    this.server = http.createServer((req, res) => this.#handle(req, res));
    swim.on('member', this.#onMember);
    swim.on('close', this.#onClose);
    this.#keepAlive = setInterval(() => {
      for (const c of this.#clients) c.write(': keep-alive\n\n');
    }, (options.keepAliveSeconds ?? 15) * 1000);
    this.#keepAlive.unref();
  }

  /** Listens on host:port (port 0: a free one); resolves with the bound address. */
  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Ends the event streams and stops the server. */
  close(): Promise<void> {
    clearInterval(this.#keepAlive);
    this.#swim.off('member', this.#onMember);
    this.#swim.off('close', this.#onClose);
    for (const c of this.#clients) c.end();
    this.#clients.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }

  #record(ev: MemberEvent): void {
    const entry: TimelineEntry = { time: Date.now(), kind: eventKind(ev), changes: changesOf(ev), member: ev.member.toJSON() };
    this.#timeline.push(entry);
    if (this.#timeline.length > this.#timelineSize) this.#timeline.shift();
    this.#broadcast('member', entry);
  }

  #broadcast(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const msg = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.#clients) c.write(msg);
  }

  #snapshot(): unknown {
    const swim = this.#swim;
    if (swim.closed) return { uuid: swim.uuid, uri: swim.uri, closed: true, members: [], timeline: this.#timeline };
    return { ...membersBody(swim), closed: false, timeline: this.#timeline };
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    try {
      switch (path) {
        case '/members':
          if (this.#swim.closed) return json(res, 503, { error: 'the member is closed' });
          return json(res, 200, membersBody(this.#swim));
        case '/metrics':
          res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
          res.end(renderMetrics(this.#swim));
          return;
        case '/health': {
          const swim = this.#swim;
          if (swim.closed) return json(res, 503, { status: 'closed', uuid: swim.uuid, uri: swim.uri });
          const members = swim.members();
          return json(res, 200, {
            status: 'ok',
            uuid: swim.uuid,
            uri: swim.uri,
            members: members.length,
            alive: members.filter((m) => m.status === 'alive').length,
          });
        }
        case '/':
        case '/index.html':
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
          res.end(PAGE_HTML);
          return;
        case '/events':
          if (req.method === 'HEAD') res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' }).end();
          else this.#openStream(req, res);
          return;
        default:
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (err) {
      if (!res.headersSent) json(res, 500, { error: (err as Error).message });
      else res.end();
    }
  }

  #openStream(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(`retry: 1000\nevent: snapshot\ndata: ${JSON.stringify(this.#snapshot())}\n\n`);
    this.#clients.add(res);
    req.on('close', () => this.#clients.delete(res));
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}
