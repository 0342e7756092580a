import type { NextFunction, Request, Response } from 'express';
import type { LifecycleState } from './lifecycle.state';

// Once Hekim drains (SIGTERM), every answer closes its connection. Node's server.close() ends
// only the connections idle at that moment: a client that keeps a kept-alive connection busy
// (a load balancer's upstream pool, a readiness poller) would otherwise be served on it
// indefinitely and hold the instance open until the forced exit.
export function closeConnectionsWhileDraining(lifecycle: LifecycleState) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (lifecycle.draining) res.setHeader('Connection', 'close');
    next();
  };
}
