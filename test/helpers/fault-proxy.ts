/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of a test registry.
 * Requests pass through unchanged, Host header included, so the registry's
 * upload Locations point back at the proxy. Rules pick requests by method,
 * path and count and replace them with a fault.
 */
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen } from './token-server';

export type Fault =
  /** Reply with this status without contacting the registry. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Close the client connection without a reply, before forwarding. */
  | { kind: 'reset' }
  /** Forward the first `afterBytes` body bytes, then close both connections. */
  | { kind: 'cut'; afterBytes: number }
  /** Forward without `Authorization`, so the registry replies with its own 401. */
  | { kind: 'strip-auth' }
  /** Forward the whole request, then close the client connection instead of replying. */
  | { kind: 'drop-reply' }
  /** Forward after a pause. */
  | { kind: 'delay'; ms: number };

export interface FaultRule {
  method?: string;
  path?: RegExp;
  /** First matching request (1-based) that gets the fault; default 1. */
  nth?: number;
  /** Matching requests from `nth` on that get the fault; default 1. */
  count?: number;
  fault: Fault;
}

/** One request as the proxy handled it. */
export interface ProxiedRequest {
  method: string;
  path: string;
  /** Registry status, or the fault kind when the proxy replied instead. */
  outcome: number | Fault['kind'];
  authorization: boolean;
}

export interface FaultProxy {
  /** `127.0.0.1:<port>`, for use as the registry host. */
  readonly host: string;
  readonly requests: ProxiedRequest[];
  inject(rule: FaultRule): void;
  /** Drops all rules and the request record. */
  clear(): void;
  close(): Promise<void>;
}

/** Faults after which the registry's status is still recorded. */
const PASS_THROUGH_FAULTS: Fault['kind'][] = ['strip-auth', 'delay'];

interface ActiveRule extends FaultRule {
  matched: number;
}

/** Starts a proxy that forwards to `target` (`127.0.0.1:<port>`). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [targetHost, targetPort] = target.split(':');
  if (targetHost !== '127.0.0.1') throw new Error(`fault proxy: target ${target} is not loopback`);
  const rules: ActiveRule[] = [];
  const requests: ProxiedRequest[] = [];
  const agent = new Agent({ keepAlive: false });
  const server = createServer((request, response) => {
    const fault = pickFault(rules, request);
    const record: ProxiedRequest = {
      method: request.method ?? '',
      path: (request.url ?? '').split('?')[0],
      outcome: fault && !PASS_THROUGH_FAULTS.includes(fault.kind) ? fault.kind : 0,
      authorization: request.headers.authorization !== undefined,
    };
    requests.push(record);
    const upstream = { host: targetHost, port: Number(targetPort), agent };
    void handle(request, response, fault, upstream, record);
  });
  await listen(server);
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    inject: (rule) => rules.push({ ...rule, matched: 0 }),
    clear: () => {
      rules.splice(0);
      requests.splice(0);
    },
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}

function pickFault(rules: ActiveRule[], request: IncomingMessage): Fault | undefined {
  const path = (request.url ?? '').split('?')[0];
  for (const rule of rules) {
    if (rule.method && rule.method !== request.method) continue;
    if (rule.path && !rule.path.test(path)) continue;
    rule.matched++;
    const first = rule.nth ?? 1;
    const last = first + (rule.count ?? 1) - 1;
    if (rule.matched >= first && rule.matched <= last) return rule.fault;
  }
  return undefined;
}

interface Upstream {
  host: string;
  port: number;
  agent: Agent;
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  fault: Fault | undefined,
  upstream: Upstream,
  record: ProxiedRequest,
): Promise<void> {
  if (fault?.kind === 'status') {
    request.resume();
    request.on('end', () => {
      response.writeHead(fault.status, fault.headers ?? {});
      response.end(fault.body ?? '');
    });
    return;
  }
  if (fault?.kind === 'reset') {
    request.socket.destroy();
    return;
  }
  if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
  const headers = { ...request.headers };
  if (fault?.kind === 'strip-auth') delete headers.authorization;
  const forwarded = httpRequest({
    host: upstream.host,
    port: upstream.port,
    method: request.method,
    path: request.url,
    headers,
    agent: upstream.agent,
  });
  forwarded.on('response', (reply) => {
    if (fault?.kind === 'drop-reply') {
      reply.resume();
      reply.on('end', () => request.socket.destroy());
      return;
    }
    if (record.outcome === 0) record.outcome = reply.statusCode ?? 0;
    response.writeHead(reply.statusCode ?? 502, reply.headers);
    reply.pipe(response);
  });
  forwarded.on('error', () => request.socket.destroy());
  if (fault?.kind === 'cut') {
    forwardThenCut(request, forwarded, fault.afterBytes);
  } else {
    request.pipe(forwarded);
  }
}

/** Sends the first `limit` body bytes upstream, then drops both connections. */
function forwardThenCut(
  request: IncomingMessage,
  forwarded: ReturnType<typeof httpRequest>,
  limit: number,
): void {
  let sent = 0;
  let cut = false;
  const cutNow = () => {
    if (cut) return;
    cut = true;
    // Give the registry a moment to read the prefix before the socket closes.
    setTimeout(() => {
      forwarded.destroy();
      request.socket.destroy();
    }, 50);
  };
  request.on('data', (piece: Buffer) => {
    if (cut) return;
    const take = Math.min(piece.length, limit - sent);
    if (take > 0) forwarded.write(piece.subarray(0, take));
    sent += take;
    if (sent >= limit) cutNow();
  });
  request.on('end', cutNow);
}
