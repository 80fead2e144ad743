import http from 'node:http';

export interface SseEvent {
  id?: string;
  event: string;
  data: any;
}

/**
 * A real Server-Sent Events client over HTTP (not app.inject): collects events as they come.
 */
export function openEventStream(url: string, headers: Record<string, string>) {
  const events: SseEvent[] = [];
  let closed = false;
  let status = 0;
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  let buffer = '';
  const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const event: SseEvent = { event: 'message', data: undefined };
        let data = '';
        let hasField = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const [field, ...rest] = line.split(':');
          const value = rest.join(':').replace(/^ /, '');
          if (field === 'id') event.id = value;
          if (field === 'event') event.event = value;
          if (field === 'data') data += value;
          if (field === 'id' || field === 'event' || field === 'data') hasField = true;
        }
        if (!hasField) continue;
        event.data = data ? JSON.parse(data) : undefined;
        events.push(event);
      }
      notify();
    });
    res.on('end', () => {
      closed = true;
      notify();
    });
  });
  req.on('error', () => {
    closed = true;
    notify();
  });
  /** Waits (bounded) until the predicate holds over the events received so far. */
  const waitFor = (
    predicate: (events: SseEvent[]) => boolean,
    timeoutMs = 5000,
  ): Promise<SseEvent[]> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (predicate(events)) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(events);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `timed out waiting for events; got ${JSON.stringify(events.map((e) => e.event))}`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    events,
    get status() {
      return status;
    },
    get closed() {
      return closed;
    },
    waitFor,
    /** Resolves once the server has ended the stream. */
    waitClosed: (timeoutMs = 5000) => waitFor(() => closed, timeoutMs),
    messages: () => events.filter((e) => e.event === 'message'),
    close: () => req.destroy(),
  };
}

export type EventStream = ReturnType<typeof openEventStream>;
